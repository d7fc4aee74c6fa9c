import type {TestProject} from 'vitest/node'
import {E2E_LAB, labSetup} from './global-setup.js'

/** The second e2e project's lab, beside the first (see vitest.config.ts). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  return labSetup(project, `${E2E_LAB}-b`)
}
