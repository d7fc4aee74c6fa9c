/** Writes record.json (read from stdin) atomically under the node's dataDir. */
export function recordWrite(dataDir: string): string[] {
  return ['sh', '-c', 'mkdir -p "$1" && cat >"$1/record.json.$$" && mv -f "$1/record.json.$$" "$1/record.json"', 'kgit-record', dataDir]
}
