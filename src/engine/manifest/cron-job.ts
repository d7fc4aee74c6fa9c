import {scheduleError, timeZoneError} from '../controllers/cron-schedule.js'
import type {CronJobObject, ObjectMeta} from '../types.js'
import {FieldReader} from './field-reader.js'
import {readJob} from './job.js'
import {checkLabels} from './labels.js'
import type {ParsedDoc, PathPart} from './yaml-docs.js'

const TEMPLATE: PathPart[] = ['spec', 'jobTemplate']

/**
 * A CronJob (batch/v1), validated and defaulted as Kubernetes does: concurrencyPolicy
 * Allow, suspend false, history limits 3 successful and 1 failed (the schema checks keep
 * the name to 52 characters: a child adds `-` and 10 digits). Its jobTemplate is read as a Job.
 */
export function readCronJob(r: FieldReader, apiVersion: string, source: CronJobObject['source'], metadata: ObjectMeta): CronJobObject {
  r.map(['spec'], {required: true})
  const schedule = r.str(['spec', 'schedule'], {required: true}) ?? ''
  const timeZone = r.str(['spec', 'timeZone'])
  if (schedule !== '') {
    const why = scheduleError(schedule)
    if (why) r.fail(['spec', 'schedule'], `Invalid value: ${JSON.stringify(schedule)}: ${why}`)
  }
  if (timeZone !== undefined) {
    const why = timeZoneError(timeZone)
    if (why) r.fail(['spec', 'timeZone'], `Invalid value: ${JSON.stringify(timeZone)}: ${why}`)
  }
  const concurrencyPolicy = (r.str(['spec', 'concurrencyPolicy'], {oneOf: ['Allow', 'Forbid', 'Replace']}) ?? 'Allow') as CronJobObject['spec']['concurrencyPolicy']
  const spec: Omit<CronJobObject['spec'], 'jobTemplate'> = {
    schedule,
    concurrencyPolicy,
    suspend: r.bool(['spec', 'suspend']) ?? false,
    successfulJobsHistoryLimit: r.int(['spec', 'successfulJobsHistoryLimit'], {min: 0}) ?? 3,
    failedJobsHistoryLimit: r.int(['spec', 'failedJobsHistoryLimit'], {min: 0}) ?? 1,
  }
  if (timeZone !== undefined) spec.timeZone = timeZone
  const deadline = r.int(['spec', 'startingDeadlineSeconds'], {min: 0})
  if (deadline !== undefined) spec.startingDeadlineSeconds = deadline
  r.map(TEMPLATE, {required: true})
  const jobTemplate = readJobTemplate(r, apiVersion, source, metadata.namespace)
  return {kind: 'CronJob', apiVersion: 'batch/v1', source, metadata, spec: {...spec, jobTemplate}, notes: jobTemplate.notes}
}

/** spec.jobTemplate as a Job, through a reader that sees it as the document (errors keep their full path). */
function readJobTemplate(r: FieldReader, apiVersion: string, source: CronJobObject['source'], namespace: string): CronJobObject['spec']['jobTemplate'] {
  const doc: ParsedDoc = {file: r.doc.file, value: r.get(TEMPLATE) ?? {}, posOf: (path) => r.doc.posOf([...TEMPLATE, ...path])}
  const sub = new FieldReader(doc)
  const labels = sub.strMap(['metadata', 'labels'])
  checkLabels(sub, ['metadata', 'labels'], labels)
  const job = readJob(sub, apiVersion, source, {name: '', namespace, labels, annotations: sub.strMap(['metadata', 'annotations'])})
  r.errors.push(...sub.errors)
  r.warnings.push(...sub.warnings)
  return job
}
