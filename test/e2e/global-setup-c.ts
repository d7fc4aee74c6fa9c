import type {TestProject} from 'vitest/node'
import {E2E_LAB, labSetup} from './global-setup.js'

/** The third e2e project's lab, beside the other two (see vitest.config.ts). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Lab names are 1 to 8 characters out of a-z and 0-9.
  return labSetup(project, `${E2E_LAB.slice(0, 7)}c`)
}
