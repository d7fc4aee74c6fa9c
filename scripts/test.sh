#!/usr/bin/env bash
# The whole test suite: lint, unit tests, and end-to-end tests against a real lab of
# SSH nodes (network namespaces with sshd, podman and iptables). Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
echo "kgit: lint"
npm run --silent lint
echo "kgit: unit and e2e tests (three vitest runs at once, each e2e third on its own lab)"
bash scripts/vitest-labs.sh --with-unit
