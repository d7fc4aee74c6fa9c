import {Counter, Gauge, Histogram, Registry, collectDefaultMetrics} from 'prom-client'
import type {ReconcileReport} from './reconcile.js'

/** The watch daemon's Prometheus metrics (docs/gitops.md lists them). */
export class ReconcileMetrics {
  readonly registry = new Registry()
  private readonly duration = new Histogram({name: 'kgit_reconcile_duration_seconds', help: 'Wall time of one reconcile (fetch, observe, apply)', labelNames: ['outcome'], buckets: [0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300], registers: [this.registry]})
  private readonly results = new Counter({name: 'kgit_reconcile_total', help: 'Reconciles by outcome (noop, applied, failed, locked, fetch-failed, suspended)', labelNames: ['outcome'], registers: [this.registry]})
  private readonly outOfSync = new Gauge({name: 'kgit_objects_out_of_sync', help: 'Actions left to do after the last reconcile (suspended, failed, or on unreachable nodes)', registers: [this.registry]})
  private readonly drift = new Gauge({name: 'kgit_drift_objects', help: 'Drifted objects the last reconcile found', registers: [this.registry]})
  private readonly unreachable = new Gauge({name: 'kgit_nodes_unreachable', help: 'Nodes the last reconcile could not reach', registers: [this.registry]})
  private readonly applied = new Gauge({name: 'kgit_last_applied_commit_info', help: 'The commit the last successful reconcile applied or found running (value 1)', labelNames: ['commit', 'cluster'], registers: [this.registry]})
  private readonly lastSuccess = new Gauge({name: 'kgit_last_success_timestamp_seconds', help: 'When a reconcile last ended without errors', registers: [this.registry]})

  constructor() {
    collectDefaultMetrics({register: this.registry})
  }

  record(r: ReconcileReport): void {
    this.duration.observe({outcome: r.outcome}, r.durationMs / 1000)
    this.results.inc({outcome: r.outcome})
    if (r.outcome === 'locked' || r.outcome === 'fetch-failed') return
    this.outOfSync.set(r.outOfSync)
    this.drift.set(r.drift.length)
    this.unreachable.set(r.unreachable.length)
    if (r.outcome !== 'failed' && r.revision) {
      this.applied.reset()
      this.applied.set({commit: r.revision, cluster: r.cluster ?? ''}, 1)
      this.lastSuccess.set(Date.parse(r.at) / 1000 + r.durationMs / 1000)
    }
  }

  text(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}
