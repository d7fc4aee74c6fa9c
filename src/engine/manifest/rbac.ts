import type {SourcePos} from '../errors.js'
import type {ClusterRoleBindingObject, ClusterRoleObject, LabelSelector, ObjectMeta, PolicyRule, RbacObject, RbacSubject, RoleBindingObject, RoleObject, RoleRef} from '../types.js'
import type {FieldReader} from './field-reader.js'
import {readLabelRequirement} from './labels.js'
import type {PathPart} from './yaml-docs.js'

export const RBAC_GROUP = 'rbac.authorization.k8s.io'
const SUBJECT_KINDS = ['User', 'Group', 'ServiceAccount']
const SERVICE_ACCOUNT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/**
 * A Role, ClusterRole, RoleBinding or ClusterRoleBinding, validated as the API server
 * validates them (pkg/apis/rbac/validation). Every served version is read as v1.
 */
export function readRbacObject(r: FieldReader, kind: RbacObject['kind'], source: SourcePos, metadata: ObjectMeta): RbacObject {
  const apiVersion = `${RBAC_GROUP}/v1`
  if (kind === 'Role') return {kind, apiVersion, source, metadata, rules: readRules(r, true)} satisfies RoleObject
  if (kind === 'ClusterRole') {
    const role: ClusterRoleObject = {kind, apiVersion, source, metadata, rules: readRules(r, false)}
    const selectors = readAggregation(r)
    if (selectors) role.aggregationRule = {clusterRoleSelectors: selectors}
    return role
  }
  const namespaced = kind === 'RoleBinding'
  const roleRef = readRoleRef(r, namespaced)
  const subjects = readSubjects(r, namespaced ? metadata.namespace : undefined)
  if (kind === 'RoleBinding') return {kind, apiVersion, source, metadata, subjects, roleRef} satisfies RoleBindingObject
  return {kind, apiVersion, source, metadata, subjects, roleRef: roleRef as ClusterRoleBindingObject['roleRef']} satisfies ClusterRoleBindingObject
}

/** Rules need verbs; a rule is about resources (apiGroups and resources) or, in a ClusterRole only, non-resource URLs. */
function readRules(r: FieldReader, namespaced: boolean): PolicyRule[] {
  const items = r.list(['rules']) ?? []
  return items.map((_, i) => {
    const p: PathPart[] = ['rules', i]
    r.map(p)
    const rule: PolicyRule = {
      verbs: strings(r, [...p, 'verbs']),
      apiGroups: strings(r, [...p, 'apiGroups']),
      resources: strings(r, [...p, 'resources']),
      resourceNames: strings(r, [...p, 'resourceNames']),
      nonResourceURLs: strings(r, [...p, 'nonResourceURLs']),
    }
    if (rule.verbs.length === 0) r.fail([...p, 'verbs'], 'Required value: verbs must contain at least one value')
    if (rule.nonResourceURLs.length > 0) {
      if (namespaced) r.fail([...p, 'nonResourceURLs'], 'Invalid value: namespaced rules cannot apply to non-resource URLs')
      if (rule.apiGroups.length > 0 || rule.resources.length > 0 || rule.resourceNames.length > 0) r.fail([...p, 'nonResourceURLs'], 'Invalid value: rules cannot apply to both regular resources and non-resource URLs')
      return rule
    }
    if (rule.apiGroups.length === 0) r.fail([...p, 'apiGroups'], 'Required value: resource rules must supply at least one api group')
    if (rule.resources.length === 0) r.fail([...p, 'resources'], 'Required value: resource rules must supply at least one resource')
    return rule
  })
}

/** A list of strings where "" is a value (the core API group). */
function strings(r: FieldReader, p: PathPart[]): string[] {
  const items = r.list(p) ?? []
  items.forEach((v, i) => {
    if (typeof v !== 'string') r.str([...p, i])
  })
  return items.filter((v): v is string => typeof v === 'string')
}

function readAggregation(r: FieldReader): LabelSelector[] | undefined {
  if (r.map(['aggregationRule']) === undefined) return undefined
  const p: PathPart[] = ['aggregationRule', 'clusterRoleSelectors']
  const items = r.list(p) ?? []
  if (items.length === 0) r.fail(p, 'Required value: at least one clusterRoleSelector required if aggregationRule is non-nil')
  return items.map((_, i) => {
    r.map([...p, i])
    const sel: LabelSelector = {}
    const labels = r.strMap([...p, i, 'matchLabels'])
    if (Object.keys(labels).length > 0) sel.matchLabels = labels
    const exprs = r.list([...p, i, 'matchExpressions'])
    if (exprs?.length) sel.matchExpressions = exprs.map((_, j) => readLabelRequirement(r, [...p, i, 'matchExpressions', j]))
    return sel
  })
}

/** roleRef: group rbac.authorization.k8s.io, kind Role or ClusterRole (a ClusterRoleBinding: ClusterRole only). */
function readRoleRef(r: FieldReader, namespaced: boolean): RoleRef {
  r.map(['roleRef'], {required: true})
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole']
  const apiGroup = r.str(['roleRef', 'apiGroup']) ?? ''
  if (apiGroup !== RBAC_GROUP) r.fail(['roleRef', 'apiGroup'], `Unsupported value: "${apiGroup}": supported values: "${RBAC_GROUP}"`)
  const kind = r.str(['roleRef', 'kind'], {required: true}) ?? ''
  if (kind && !kinds.includes(kind)) r.fail(['roleRef', 'kind'], `Unsupported value: "${kind}": supported values: ${kinds.map((k) => `"${k}"`).join(', ')}`)
  const name = r.str(['roleRef', 'name'], {required: true}) ?? ''
  if (name === '.' || name === '..' || /[/%]/.test(name)) r.fail(['roleRef', 'name'], `Invalid value: "${name}": may not be '.' or '..' or contain '/' or '%'`)
  return {apiGroup: RBAC_GROUP, kind: kind as RoleRef['kind'], name}
}

/**
 * Subjects as the API server checks them; v1 defaults apiGroup (rbac.authorization.k8s.io
 * for User and Group). A ServiceAccount needs a namespace in a ClusterRoleBinding and
 * defaults to the binding's in a RoleBinding.
 */
function readSubjects(r: FieldReader, bindingNamespace: string | undefined): RbacSubject[] {
  const items = r.list(['subjects']) ?? []
  return items.map((_, i) => {
    const p: PathPart[] = ['subjects', i]
    r.map(p)
    const kind = r.str([...p, 'kind'], {required: true}) ?? ''
    const name = r.str([...p, 'name'], {required: true}) ?? ''
    const apiGroup = r.str([...p, 'apiGroup']) ?? (kind === 'ServiceAccount' ? '' : RBAC_GROUP)
    const namespace = r.str([...p, 'namespace'])
    if (kind && !SUBJECT_KINDS.includes(kind)) r.fail([...p, 'kind'], `Unsupported value: "${kind}": supported values: "ServiceAccount", "User", "Group"`)
    const subject: RbacSubject = {kind: kind as RbacSubject['kind'], name, apiGroup}
    if (kind !== 'ServiceAccount') {
      if (kind && apiGroup !== RBAC_GROUP) r.fail([...p, 'apiGroup'], `Unsupported value: "${apiGroup}": supported values: "${RBAC_GROUP}"`)
      return subject
    }
    if (name && !SERVICE_ACCOUNT_NAME.test(name)) r.fail([...p, 'name'], `Invalid value: "${name}": a service account name must be a DNS-1123 subdomain`)
    if (apiGroup !== '') r.fail([...p, 'apiGroup'], `Unsupported value: "${apiGroup}": supported values: ""`)
    if (!namespace && bindingNamespace === undefined) r.fail([...p, 'namespace'], 'Required value: a ServiceAccount subject of a ClusterRoleBinding needs a namespace')
    subject.namespace = namespace || bindingNamespace || ''
    return subject
  })
}
