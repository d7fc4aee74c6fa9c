import {defineConfig} from 'vitest/config'

/**
 * The e2e files are split in two projects, each on its own lab (test/e2e/global-setup.ts,
 * global-setup-b.ts); inside a project, files share the lab and run one after another.
 * scripts/vitest-pair.sh runs the two projects in two vitest processes at once (one
 * process would give both a single worker on 2 cores): most of their time is spent
 * waiting for nodes (readiness, grace periods, back-offs), so two labs roughly halve the
 * wall time. Files not named for e2e-b run in e2e.
 */
const SECOND = ['statefulset', 'job', 'rollout-history', 'logs-exec', 'daemonset', 'workloads', 'scheduler', 'nodes', 'unreachable', 'secrets', 'rbac'].map((f) => `test/e2e/${f}.test.ts`)

const e2e = {
  fileParallelism: false,
  testTimeout: 300_000,
  hookTimeout: 300_000,
}

export default defineConfig({
  test: {
    projects: [
      {test: {name: 'unit', include: ['test/unit/**/*.test.ts']}},
      {test: {name: 'e2e', include: ['test/e2e/**/*.test.ts'], exclude: SECOND, globalSetup: ['test/e2e/global-setup.ts'], ...e2e}},
      {test: {name: 'e2e-b', include: SECOND, globalSetup: ['test/e2e/global-setup-b.ts'], ...e2e}},
    ],
  },
})
