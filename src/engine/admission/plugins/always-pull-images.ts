import type {AdmissionPlugin} from '../plugin.js'
import {podSpecAt} from './common.js'

/**
 * Kubernetes' AlwaysPullImages: every container of every pod gets imagePullPolicy: Always,
 * so a node pulls the image (with the pod's credentials) before each start instead of
 * using a copy another pod pulled. kgit runs it as `podman run --pull always`. Images
 * named `localhost/...` are podman's local images, which no registry serves: they keep
 * their policy (a pull would always fail).
 */
export const AlwaysPullImages: AdmissionPlugin = {
  name: 'AlwaysPullImages',
  mutating: true,
  admit(req) {
    for (const o of req.desired.objects) {
      for (const c of podSpecAt(o)?.spec.containers ?? []) if (!isLocalImage(c.image)) c.imagePullPolicy = 'Always'
    }
    return []
  },
}

export function isLocalImage(image: string): boolean {
  return image.startsWith('localhost/')
}
