import type {PlanRun} from '../engine/session.js'
import type {ServiceObject} from '../engine/types.js'
import type {ServiceView} from './render-services.js'

/** The revision's Services with what the plan allocated and the endpoints it sees (ready pods now running). */
export function serviceViews(run: PlanRun, namespace?: string): ServiceView[] {
  const st = run.plan.network.services
  return run.desired.objects
    .filter((o): o is ServiceObject => o.kind === 'Service' && (namespace === undefined || o.metadata.namespace === namespace))
    .sort((a, b) => (a.metadata.namespace + '/' + a.metadata.name < b.metadata.namespace + '/' + b.metadata.name ? -1 : 1))
    .map((svc) => {
      const key = `${svc.metadata.namespace}/${svc.metadata.name}`
      const eps = st.endpoints.get(key)
      const ip = st.clusterIPs.get(key)
      return {svc, ...(ip ? {clusterIP: ip} : {}), nodePorts: st.nodePorts, ready: eps?.ready ?? [], notReady: eps?.notReady ?? []}
    })
}
