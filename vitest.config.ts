import {defineConfig} from 'vitest/config'

/**
 * The e2e files are split in three projects, each on its own lab (test/e2e/global-setup.ts,
 * global-setup-b.ts, global-setup-c.ts); inside a project, files share the lab and run one
 * after another. scripts/vitest-labs.sh runs the projects in three vitest processes at once
 * (one process would give them a single worker on 2 cores), and the unit tests in a fourth.
 * On the 2-core CI machine the run is CPU-bound (kgit runs, podman, the nodes' probe loops),
 * so the split is by the files' measured times, to end the three at about the same moment.
 * Files not named for e2e-b or e2e-c run in e2e.
 */
const SECOND = ['statefulset', 'rollout-history', 'logs-exec', 'daemonset', 'scheduler', 'nodes', 'unreachable', 'secrets'].map((f) => `test/e2e/${f}.test.ts`)
const THIRD = ['cronjob', 'job', 'apply', 'admission', 'security-context', 'gitops', 'rbac', 'workloads'].map((f) => `test/e2e/${f}.test.ts`)

const e2e = {
  fileParallelism: false,
  testTimeout: 300_000,
  hookTimeout: 300_000,
}

export default defineConfig({
  test: {
    projects: [
      // Beside three busy labs, a unit test (or its setup) that runs git or gpg a few times can take over vitest's 5 s (10 s) defaults.
      {test: {name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 60_000}},
      {test: {name: 'e2e', include: ['test/e2e/**/*.test.ts'], exclude: [...SECOND, ...THIRD], globalSetup: ['test/e2e/global-setup.ts'], ...e2e}},
      {test: {name: 'e2e-b', include: SECOND, globalSetup: ['test/e2e/global-setup-b.ts'], ...e2e}},
      {test: {name: 'e2e-c', include: THIRD, globalSetup: ['test/e2e/global-setup-c.ts'], ...e2e}},
    ],
  },
})
