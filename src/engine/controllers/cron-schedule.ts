import {createRequire} from 'node:module'
import type {CronExpressionParser as Parser} from 'cron-parser'

/** cron-parser (with luxon) is loaded on first use: most runs have no CronJob, and every run pays for what it loads. */
let parser: typeof Parser | undefined
function cron(): typeof Parser {
  parser ??= (createRequire(import.meta.url)('cron-parser') as {CronExpressionParser: typeof Parser}).CronExpressionParser
  return parser
}

/** The macros Kubernetes accepts (robfig/cron's ParseStandard), as the five fields they stand for. */
const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
}

/** The five fields a schedule stands for. */
export function expandSchedule(schedule: string): string {
  const s = schedule.trim()
  return MACROS[s.toLowerCase()] ?? s
}

/**
 * Why a schedule is not one Kubernetes accepts, or undefined. Kubernetes parses with
 * robfig/cron's standard parser: five fields (minute hour day-of-month month day-of-week)
 * with `* , - / ?` and month and day names, or one of the macros; cron-parser alone is more
 * lenient (six fields, `L`, `W`, `#`), so those are refused here first.
 */
export function scheduleError(schedule: string): string | undefined {
  const s = schedule.trim()
  if (s.includes('TZ')) return 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'
  if (s.startsWith('@')) return MACROS[s.toLowerCase()] ? undefined : s.toLowerCase().startsWith('@every') ? 'this version of kgit does not run @every schedules: use five cron fields' : `unrecognized descriptor: ${s}`
  const fields = s.split(/\s+/)
  if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`
  for (const f of fields) {
    if (!/^[0-9A-Za-z*,/?-]+$/.test(f) || f.split(',').some((t) => /^(L|LW|\d*[LW])$/i.test(t))) return `unsupported value in field "${f}"`
  }
  try {
    cron().parse(s, {tz: 'UTC'})
  } catch (err) {
    return (err as Error).message
  }
  return undefined
}

/** Why a timeZone is not an IANA time zone name, or undefined (Kubernetes' checks). */
export function timeZoneError(tz: string): string | undefined {
  if (tz === '') return 'timeZone must be nil or non-empty string'
  if (tz.toLowerCase() === 'local') return 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'
  try {
    new Intl.DateTimeFormat('en-US', {timeZone: tz})
  } catch {
    return `unknown time zone ${tz}`
  }
  return undefined
}

/**
 * The latest time of the schedule in (earliest, now], or undefined: Kubernetes'
 * mostRecentScheduleTime. Only the most recent one counts, however many were missed.
 * Times are ms since the epoch; schedules have minute resolution.
 */
export function mostRecentSchedule(schedule: string, timeZone: string | undefined, earliest: number, now: number): number | undefined {
  if (now <= earliest) return undefined
  // prev() is strictly before currentDate: one ms past now makes a schedule at now count.
  const it = cron().parse(expandSchedule(schedule), {currentDate: new Date(now + 1), tz: timeZone ?? 'UTC'})
  const t = it.prev().getTime()
  return t > earliest ? t : undefined
}

/** The first time of the schedule after `from`. */
export function nextSchedule(schedule: string, timeZone: string | undefined, from: number): number {
  return cron().parse(expandSchedule(schedule), {currentDate: new Date(from), tz: timeZone ?? 'UTC'}).next().getTime()
}

/** A child Job's name: `NAME-MINUTES`, the scheduled time in minutes since the epoch (Kubernetes' getJobName). */
export function cronChildName(name: string, scheduled: number): string {
  return `${name}-${Math.floor(scheduled / 60_000)}`
}
