import js from '@eslint/js'
import tseslint from 'typescript-eslint'

// Pure folders decide; only exec/ (and the CLI layer) acts. This rule holds that line.
const pureFolders = ['manifest', 'admission', 'controllers', 'scheduler', 'facts', 'plan', 'argv']
const effectModules = ['ssh2', 'execa', 'node:fs', 'node:fs/promises', 'fs', 'fs/promises', 'node:child_process', 'child_process', 'chalk', 'listr2', 'simple-git', 'node:net', 'net']

export default tseslint.config(
  {ignores: ['dist/**', 'node_modules/**', 'bench/**', 'bin/**']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_'}],
    },
  },
  {
    files: pureFolders.map((f) => `src/engine/${f}/**/*.ts`),
    rules: {
      'no-restricted-imports': ['error', {paths: effectModules.map((name) => ({name, message: 'pure engine folders must not do I/O; move effects to src/engine/exec/'}))}],
    },
  },
)
