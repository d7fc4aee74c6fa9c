// node bench/manifests.js (after `npx tsc -p tsconfig.json`): loads and validates 10,000
// objects of mixed kinds spread over 500 files, all generated in memory, and prints wall
// time and peak RSS. Target (issue 3): under 2 s and under 500 MB.
import {loadDesired} from '../dist/engine/manifest/load.js'
import {indexCrds, validateDocument} from '../dist/engine/manifest/schema.js'
import {parseYamlFile} from '../dist/engine/manifest/yaml-docs.js'

const FILES = 500
const PER_FILE = 20
const NAMESPACES = 10

const KINDS = [
  (n, ns) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${n}, namespace: ${ns}, labels: {app: ${n}, tier: web}, annotations: {team.example.com/owner: shop}}
spec:
  replicas: 3
  selector: {matchLabels: {app: ${n}}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: ${n}}}
    spec:
      containers:
        - name: main
          image: registry.example.com/${n}:1.2.3
          ports: [{containerPort: 8080, name: http}]
          env: [{name: MODE, value: production}, {name: PORT, value: "8080"}]
          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: "1", memory: 512Mi}}
          readinessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 5}
`,
  (n, ns) => `apiVersion: v1
kind: Service
metadata: {name: ${n}, namespace: ${ns}}
spec:
  selector: {app: ${n}}
  ports: [{name: http, port: 80, targetPort: http}]
`,
  (n, ns) => `apiVersion: v1
kind: ConfigMap
metadata: {name: ${n}, namespace: ${ns}}
data: {config.yaml: "listen: 8080\\nlog: info\\n", feature: "on"}
`,
  (n, ns) => `apiVersion: v1
kind: Secret
metadata: {name: ${n}, namespace: ${ns}}
type: Opaque
data: {password: cGFzc3dvcmQ=}
`,
  (n, ns) => `apiVersion: v1
kind: Pod
metadata: {name: ${n}, namespace: ${ns}}
spec:
  restartPolicy: Always
  containers: [{name: main, image: busybox:1.36, command: [sleep, "3600"]}]
`,
  (n, ns) => `apiVersion: batch/v1
kind: Job
metadata: {name: ${n}, namespace: ${ns}}
spec:
  backoffLimit: 2
  template: {spec: {restartPolicy: Never, containers: [{name: job, image: busybox:1.36, args: [echo, hi]}]}}
`,
  (n, ns) => `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: ${n}, namespace: ${ns}}
rules: [{apiGroups: [""], resources: [pods, services], verbs: [get, list, watch]}]
`,
  (n, ns) => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${n}, namespace: ${ns}}
spec:
  podSelector: {matchLabels: {app: ${n}}}
  ingress: [{from: [{podSelector: {matchLabels: {role: frontend}}}], ports: [{protocol: TCP, port: 8080}]}]
`,
  (n, ns) => `apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: ${n}, namespace: ${ns}}
spec:
  rules: [{host: ${n}.example.com, http: {paths: [{path: /, backend: {serviceName: ${n}, servicePort: 80}}]}}]
`,
  (n, ns) => `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: ${n}, namespace: ${ns}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: ${n}}
  minReplicas: 2
  maxReplicas: 10
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}]
`,
]

function generate() {
  const enc = new TextEncoder()
  const files = []
  let i = 0
  for (let f = 0; f < FILES; f++) {
    const docs = []
    for (let d = 0; d < PER_FILE; d++, i++) docs.push(KINDS[i % KINDS.length](`obj-${i}`, `ns-${i % NAMESPACES}`))
    if (f === 0) for (let n = 0; n < NAMESPACES; n++) docs[n] = `apiVersion: v1\nkind: Namespace\nmetadata: {name: ns-${n}}\n`
    files.push({path: `manifests/part-${String(f).padStart(3, '0')}.yaml`, content: enc.encode(docs.join('---\n'))})
  }
  return files
}

const cluster = {path: 'kgit.yaml', content: new TextEncoder().encode('apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: bench}\nspec:\n  nodes: [{name: n1, address: 198.51.100.2}]\n')}
const files = generate()
const ms = (a, b) => `${(b - a).toFixed(0)} ms`

const t0 = performance.now()
const loaded = loadDesired({revision: 'bench', clusterFile: cluster, files, schema: {indexCrds, validateDocument}})
const t1 = performance.now()
// For the breakdown only: parsing alone, and schema validation alone, of the same files.
const dec = new TextDecoder()
const docs = files.flatMap((f) => parseYamlFile(f.path, dec.decode(f.content)).docs)
const t2 = performance.now()
const crds = indexCrds(docs)
let errors = 0
for (const doc of docs) errors += validateDocument(doc, crds).errors.length
const t3 = performance.now()

const rssMB = (process.resourceUsage().maxRSS / 1024).toFixed(0)
console.log(`manifests: ${docs.length} objects in ${files.length} files (errors: ${loaded.errors.length})`)
console.log(`load + validate (loadDesired: decode, parse, schema, kgit's checks): ${ms(t0, t1)} (target < 2000 ms)`)
console.log(`  of which, measured apart: parse ${ms(t1, t2)}, schema validation ${ms(t2, t3)}`)
console.log(`peak RSS: ${rssMB} MB (target < 500 MB)`)
if (errors > 0 || loaded.errors.length > 0) {
  console.log([...loaded.errors.slice(0, 3).map((e) => e.message)].join('\n'))
  process.exitCode = 1
}
