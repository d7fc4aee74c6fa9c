/** Manifest text for tests: one Deployment, the fields tests vary as options. */
export function deploymentYaml(name: string, replicas: number, opts: {image?: string; hostPort?: number; ns?: string; command?: string[]; grace?: number; labels?: string; podSpec?: string; container?: string} = {}): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${opts.ns ?? 'default'}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}${opts.labels ? ', ' + opts.labels : ''}}}
    spec:
${opts.grace !== undefined ? `      terminationGracePeriodSeconds: ${opts.grace}\n` : ''}${opts.podSpec ?? ''}      containers:
        - name: main
          image: ${opts.image ?? 'busybox:1.35'}
${opts.command ? `          command: ${JSON.stringify(opts.command)}\n` : ''}${opts.hostPort ? `          ports: [{containerPort: 80, hostPort: ${opts.hostPort}}]\n` : ''}${opts.container ?? ''}`
}
