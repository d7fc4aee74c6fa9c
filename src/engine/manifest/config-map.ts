import type {ConfigMapObject, ObjectMeta} from '../types.js'
import type {FieldReader} from './field-reader.js'

const KEY = /^[-._a-zA-Z0-9]+$/

/** A ConfigMap: data for env (and, later, files); it runs nothing itself. */
export function readConfigMap(r: FieldReader, apiVersion: string, source: ConfigMapObject['source'], metadata: ObjectMeta): ConfigMapObject {
  const data = r.strMap(['data'])
  const binaryData = r.strMap(['binaryData'])
  for (const [field, map] of [['data', data], ['binaryData', binaryData]] as const) {
    for (const k of Object.keys(map)) {
      if (!KEY.test(k) || k === '.' || k === '..' || k.length > 253) r.fail([field, k], `Invalid value: "${k}": a valid config key must consist of alphanumeric characters, '-', '_' or '.'`)
      else if (field === 'binaryData' && Object.hasOwn(data, k)) r.fail([field, k], `Invalid value: "${k}": duplicate of key present in data`)
    }
  }
  for (const [k, v] of Object.entries(binaryData)) if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v.replace(/\s/g, ''))) r.fail(['binaryData', k], 'must be base64 text')
  return {kind: 'ConfigMap', apiVersion, source, metadata, data, binaryData, immutable: r.bool(['immutable']) ?? false}
}
