#!/usr/bin/env bash
# The whole test suite: lint, unit tests, and end-to-end tests against a real lab of
# SSH nodes (network namespaces with sshd, podman and iptables). Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
echo "kgit: lint"
npm run --silent lint
echo "kgit: unit and e2e tests"
npx vitest run --reporter=default --reporter=json --outputFile=.vitest-results.json
node -e '
  const r = JSON.parse(require("fs").readFileSync(".vitest-results.json", "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
'
