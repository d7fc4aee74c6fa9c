import {describe, expect, it} from 'vitest'
import {describeService, endpointsRows, endpointsText, serviceRows, type ServiceView} from '../../src/cli/render-services.js'
import type {Endpoint} from '../../src/engine/controllers/endpoints.js'
import type {ServiceObject} from '../../src/engine/types.js'

function svc(name: string, spec: Partial<ServiceObject['spec']>): ServiceObject {
  return {
    kind: 'Service', apiVersion: 'v1', source: {file: 'm.yaml', line: 1}, metadata: {namespace: 'shop', name, labels: {app: name}, annotations: {}},
    spec: {type: 'ClusterIP', ports: [{name: '', protocol: 'TCP', port: 80, targetPort: 8080}], clusterIP: '', sessionAffinity: 'None', affinityTimeoutSeconds: 10800, publishNotReadyAddresses: false, internalTrafficPolicy: 'Cluster', ...spec},
  }
}

const ep = (ip: string, port: number, portName = ''): Endpoint => ({portName, protocol: 'TCP', ip, port, pod: `p-${ip}`, node: 'n1'})

const views: ServiceView[] = [
  {svc: svc('web', {selector: {app: 'web', tier: 'front'}}), clusterIP: '10.96.0.10', ready: [ep('198.18.0.5', 8080), ep('198.18.1.3', 8080)]},
  {svc: svc('shop', {type: 'NodePort', externalTrafficPolicy: 'Cluster', ports: [{name: 'http', protocol: 'TCP', port: 80, targetPort: 80, nodePort: 30080}, {name: 'dns', protocol: 'UDP', port: 53, targetPort: 53}]}), clusterIP: '10.96.3.4', nodePorts: new Map([['shop/shop:http', 30080], ['shop/shop:dns', 31053]]), ready: [ep('198.18.0.5', 53, 'dns'), ep('198.18.1.3', 53, 'dns'), ep('198.18.0.5', 80, 'http'), ep('198.18.1.3', 80, 'http')]},
  {svc: svc('db', {clusterIP: 'None', ports: []}), ready: [ep('198.18.0.9', 0)]},
  {svc: svc('ext', {type: 'ExternalName', externalName: 'db.example.com', ports: []}), ready: []},
  {svc: svc('idle', {}), clusterIP: '10.96.0.99', ready: []},
]

describe('kgit get svc / endpoints', () => {
  it('shows kubectl columns: ports with nodePorts, None for headless, the external name', () => {
    expect(serviceRows(views, {allNamespaces: false, wide: true})).toEqual([
      'NAME   TYPE           CLUSTER-IP   EXTERNAL-IP      PORT(S)                     SELECTOR',
      'web    ClusterIP      10.96.0.10   <none>           80/TCP                      app=web,tier=front',
      'shop   NodePort       10.96.3.4    <none>           80:30080/TCP,53:31053/UDP   <none>',
      'db     ClusterIP      None         <none>           <none>                      <none>',
      'ext    ExternalName   <none>       db.example.com   <none>                      <none>',
      'idle   ClusterIP      10.96.0.99   <none>           80/TCP                      <none>',
    ])
  })

  it('lists ready endpoints as kubectl does, three at most', () => {
    expect(endpointsRows(views, {allNamespaces: true})).toEqual([
      'NAMESPACE   NAME   ENDPOINTS',
      'shop        web    198.18.0.5:8080,198.18.1.3:8080',
      'shop        shop   198.18.0.5:53,198.18.1.3:53,198.18.0.5:80 + 1 more...',
      'shop        db     198.18.0.9',
      'shop        idle   <none>',
    ])
    expect(endpointsText([])).toBe('<none>')
  })

  it('describes a NodePort Service', () => {
    expect(describeService({...views[1]!, notReady: [ep('198.18.2.2', 80, 'http')]})).toEqual([
      'Name:                     shop',
      'Namespace:                shop',
      'Labels:                   app=shop',
      'Annotations:              <none>',
      'Selector:                 <none>',
      'Type:                     NodePort',
      'IP Family Policy:         SingleStack',
      'IP Families:              IPv4',
      'IP:                       10.96.3.4',
      'IPs:                      10.96.3.4',
      'Port:                     http  80/TCP',
      'TargetPort:               80/TCP',
      'NodePort:                 http  30080/TCP',
      'Endpoints:                198.18.0.5:80,198.18.1.3:80',
      'Port:                     dns  53/UDP',
      'TargetPort:               53/UDP',
      'NodePort:                 dns  31053/UDP',
      'Endpoints:                198.18.0.5:53,198.18.1.3:53',
      'Not Ready:                198.18.2.2:80',
      'Session Affinity:         None',
      'External Traffic Policy:  Cluster',
      'Internal Traffic Policy:  Cluster',
      'Events:                   <none>',
    ])
  })
})
