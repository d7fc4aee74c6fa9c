import {describe, expect, it} from 'vitest'
import {indexCrds, validateDocument} from '../../src/engine/manifest/schema.js'
import {parseYamlFile} from '../../src/engine/manifest/yaml-docs.js'
import {checkFiles} from '../support/schema-harness.js'

/** Validates every document of one file, with the CRDs of `crds` (another file) indexed. */
function check(text: string, crds = ''): {messages: string[]; results: ReturnType<typeof validateDocument>[]} {
  const crdDocs = parseYamlFile('crds.yaml', crds).docs
  const {docs, errors} = parseYamlFile('m.yaml', text)
  const index = indexCrds([...crdDocs, ...docs])
  const results = docs.map((d) => validateDocument(d, index))
  return {messages: [...errors, ...results.flatMap((r) => r.errors)].map((e) => e.message), results}
}

const deployment = (spec: string, apiVersion = 'apps/v1') => `apiVersion: ${apiVersion}
kind: Deployment
metadata: {name: web}
spec:
${spec}`

const TEMPLATE = `  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: main, image: nginx:1.25}]
`

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: backups.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Backup, plural: backups}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [schedule]
              properties:
                schedule: {type: string, pattern: '^(a+)+$'}
                keep: {type: integer, x-kubernetes-validations: [{rule: 'self > 0', message: must be positive}]}
                targets:
                  type: array
                  x-kubernetes-list-type: map
                  x-kubernetes-list-map-keys: [name]
                  items: {type: object, properties: {name: {type: string}, path: {type: string}}}
                extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
`

describe('schema validation: accepted documents', () => {
  const valid: [string, string, {apiVersion: string; class: string}][] = [
    ['apps/v1 Deployment', deployment(TEMPLATE), {apiVersion: 'apps/v1', class: 'kgit'}],
    ['extensions/v1beta1 Deployment without selector', deployment('  replicas: 2\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: main, image: nginx}]}\n', 'extensions/v1beta1'), {apiVersion: 'apps/v1', class: 'kgit'}],
    ['batch/v2alpha1 CronJob (schema of batch/v1beta1)', 'apiVersion: batch/v2alpha1\nkind: CronJob\nmetadata: {name: tick}\nspec:\n  schedule: "* * * * *"\n  jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}}\n', {apiVersion: 'batch/v1', class: 'kgit'}],
    ['Service with an integer targetPort', 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80, targetPort: 8080}], selector: {app: web}}\n', {apiVersion: 'v1', class: 'kgit'}],
    ['Secret with base64 folded over lines', 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  key: |\n    aGVsbG8g\n    d29ybGQ=\n', {apiVersion: 'v1', class: 'kgit'}],
    ['Job with generateName', 'apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: pi-}\nspec: {template: {spec: {restartPolicy: Never, containers: [{name: pi, image: perl}]}}}\n', {apiVersion: 'batch/v1', class: 'kgit'}],
    ['PodDisruptionBudget, a Kubernetes kind kgit does not run', 'apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p}\nspec: {minAvailable: 1, selector: {matchLabels: {app: web}}}\n', {apiVersion: 'policy/v1', class: 'kubernetes'}],
    ['ClusterRole with a colon in its name', 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: "system:view"}\nrules: [{apiGroups: [""], resources: [pods], verbs: [get]}]\n', {apiVersion: 'rbac.authorization.k8s.io/v1', class: 'kgit'}],
    ['custom resource declared by a CRD', 'apiVersion: example.com/v1\nkind: Backup\nmetadata: {name: nightly}\nspec: {schedule: aaa, keep: 3, targets: [{name: a}, {name: b}], extra: {anything: [1]}}\n', {apiVersion: 'example.com/v1', class: 'custom'}],
  ]
  it.each(valid)('%s', (_, text, want) => {
    const {messages, results} = check(text, CRD)
    expect(messages).toEqual([])
    expect(results[0]).toMatchObject(want)
  })
})

describe('schema validation: rejected documents name file, line and field', () => {
  const invalid: [string, string, string[]][] = [
    ['a string where an integer is required', deployment('  replicas: "3"\n' + TEMPLATE), ['m.yaml:5 spec.replicas: must be an integer, got string "3"']],
    ['a misspelt field', deployment(TEMPLATE.replace('selector', 'selectr')), ['m.yaml:4 spec.selector: required field is missing', 'm.yaml:5 spec.selectr: unknown field "selectr" (did you mean "selector"?)']],
    ['an unsupported enum value', deployment(TEMPLATE.replace('image: nginx:1.25', 'image: nginx, ports: [{containerPort: 80, protocol: udp}]')), ['m.yaml:9 spec.template.spec.containers[0].ports[0].protocol: must be one of SCTP, TCP, UDP, got "udp"']],
    ['a bad quantity', deployment(TEMPLATE.replace('image: nginx:1.25', 'image: nginx, resources: {limits: {cpu: lots}}')), ['m.yaml:9 spec.template.spec.containers[0].resources.limits.cpu: must be a quantity such as 500m, 2 or 128Mi, got string "lots"']],
    ['a missing image and a duplicate port', 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n      ports: [{containerPort: 80}, {containerPort: 80, protocol: TCP}]\n', ['m.yaml:6 spec.containers[0].image: required field is missing', 'm.yaml:7 spec.containers[0].ports[1]: duplicate port 80/TCP (also ports[0])']],
    ['an apiVersion never served', deployment(TEMPLATE, 'apps/v2'), ['m.yaml:1 apiVersion: Deployment is not served as "apps/v2" (use one of: apps/v1, apps/v1beta2, apps/v1beta1, extensions/v1beta1)']],
    ['an unknown kind', 'apiVersion: v1\nkind: configmap\nmetadata: {name: x}\n', ['m.yaml:2 kind: unknown kind "configmap" in v1: not a Kubernetes kind (kgit knows the API of Kubernetes 1.5 to 1.33), and no CustomResourceDefinition in the repository declares it (did you mean "ConfigMap"?)']],
    ['a Service name that is no DNS-1035 label', 'apiVersion: v1\nkind: Service\nmetadata: {name: 1web}\nspec: {ports: [{port: 80}]}\n', ["m.yaml:3 metadata.name: invalid name \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name')"]],
    ['bad labels and annotations', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {owner: _}\n  annotations: {"a/b/c": x, ok: null}\n', ['m.yaml:6 metadata.annotations.ok: must be a string, got null', 'm.yaml:5 metadata.labels.owner: a label value must be empty or 1-63 characters of letters, digits, "-", "_", ".", starting and ending with a letter or digit', 'm.yaml:6 metadata.annotations.a/b/c: a annotation key has at most one "/"']],
    ['no name', 'apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n', ['m.yaml:1 metadata.name: required field is missing: name or generateName is required']],
    ['data that is not base64', 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {key: "not base64!"}\n', ['m.yaml:4 data.key: must be base64-encoded data, got a value that is not shown']],
    ['a custom resource breaking its CRD', 'apiVersion: example.com/v1\nkind: Backup\nmetadata: {name: b, labels: {x: "-"}}\nspec:\n  keep: 0\n  every: 1d\n  schedule: aab\n  targets: [{name: a}, {name: a, path: /}]\n', [
      'm.yaml:3 metadata.labels.x: a label value must be empty or 1-63 characters of letters, digits, "-", "_", ".", starting and ending with a letter or digit',
      'm.yaml:6 spec.every: unknown field "every" (known: extra, keep, schedule, targets)',
      'm.yaml:7 spec.schedule: must match pattern "^(a+)+$"',
      'm.yaml:8 spec.targets[1]: duplicate value {"name":"a"} (also [0])',
      'm.yaml:5 spec.keep: must be positive, got number 0',
    ]],
    ['a version the CRD does not serve', 'apiVersion: example.com/v2\nkind: Backup\nmetadata: {name: b}\n', ['m.yaml:1 apiVersion: CustomResourceDefinition "backups.example.com" does not serve "example.com/v2" (served: example.com/v1)']],
    ['a CRD with a misspelt type and a wrong name', CRD.replace('{type: string, pattern', '{type: strign, pattern').replace('backups.example.com', 'backup.example.com'), [
      'm.yaml:3 metadata.name: must be spec.names.plural + "." + spec.group ("backups.example.com"), got "backup.example.com"',
      'm.yaml:20 spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.schedule.type: must be one of array, boolean, integer, number, object, string, got "strign"',
    ]],
  ]
  it.each(invalid)('%s', (_, text, want) => {
    expect(check(text, text.includes('example.com/v1\nkind: Backup') || text.includes('example.com/v2') ? CRD : '').messages).toEqual(want)
  })
})

describe('hostile input never crashes or hangs', () => {
  const hostile: [string, string][] = [
    ['a scalar document', '42\n'],
    ['a list document', '- a\n- b\n'],
    ['a kind that looks like a path', 'apiVersion: ../../..\nkind: ../../etc/passwd\nmetadata: {name: x}\n'],
    ['a group/version that looks like a path', 'apiVersion: kubernetes-models/../v1\nkind: Pod\nmetadata: {name: x}\n'],
    ['a nested type as kind', 'apiVersion: v1\nkind: PodSpec\nmetadata: {name: x}\n'],
    ['prototype keys', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, __proto__: {polluted: true}, constructor: 1}\ndata: {__proto__: a}\n'],
    ['non-string apiVersion and kind', 'apiVersion: [1]\nkind: {a: b}\n'],
    ['deep nesting under a free-form field', `apiVersion: example.com/v1\nkind: Backup\nmetadata: {name: b}\nspec: {schedule: a, extra: ${'['.repeat(2000)}${']'.repeat(2000)}}\n`],
    ['catastrophic backtracking bait for the CRD pattern', `apiVersion: example.com/v1\nkind: Backup\nmetadata: {name: b}\nspec: {schedule: ${'a'.repeat(5000)}b}\n`],
  ]
  it.each(hostile)('%s', (_, text) => {
    const started = Date.now()
    const {messages} = check(text, CRD)
    expect(Date.now() - started).toBeLessThan(2000)
    for (const m of messages) expect(m).toMatch(/^(m|crds)\.yaml(:\d+)?[ :]/)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('duplicates', () => {
  it('treats old and new apiVersions of a kind as one object', () => {
    const text = deployment(TEMPLATE) + '---\n' + deployment(TEMPLATE, 'apps/v1beta1')
    const [file] = checkFiles([{path: 'm.yaml', text}])
    expect(file!.errors.map((e) => e.message)).toEqual(['m.yaml:13 metadata.name: duplicate Deployment "default/web": also defined at m.yaml:1'])
  })
})
