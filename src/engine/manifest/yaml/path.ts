export type PathPart = string | number

/** `spec.containers[0].image` from `['spec', 'containers', 0, 'image']`. */
export function formatPath(path: readonly PathPart[]): string {
  let s = ''
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`
  return s
}
