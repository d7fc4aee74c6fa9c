import type {AdmissionPlugin} from '../plugin.js'
import {deny} from './common.js'

/** Kubernetes' AlwaysAdmit: admits everything (it changes nothing; listed for completeness). */
export const AlwaysAdmit: AdmissionPlugin = {name: 'AlwaysAdmit', mutating: false, admit: () => []}

/** Kubernetes' AlwaysDeny: refuses every object the change creates, updates or deletes (for tests, or to freeze a cluster). */
export const AlwaysDeny: AdmissionPlugin = {
  name: 'AlwaysDeny',
  mutating: false,
  admit: (req) => req.changes.map((c) => deny('AlwaysDeny', c.object, `every change is refused (${c.verb} ${c.object.kind}): kgit.yaml spec.admission enables AlwaysDeny`)),
}
