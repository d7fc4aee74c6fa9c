#!/usr/bin/env bash
# Runs the e2e projects `e2e`, `e2e-b` and `e2e-c` (vitest.config.ts) in three vitest
# processes at once, each on its own lab; with --with-unit the unit tests run at the same
# time in a fourth (in the first they ran before its e2e files, lengthening that lab's turn).
# Output lines are prefixed [a], [b], [c] and [u]; the JSON reports are merged into
# .vitest-results.json. Exits non-zero when any run fails.
set -uo pipefail
cd "$(dirname "$0")/.."
unit=
if [ "${1:-}" = --with-unit ]; then unit=1; fi
# One build for the three runs (each would otherwise build in turn while the others wait).
npm run --silent build || exit 1
export KGIT_E2E_PREBUILT=1
rm -f .vitest-results-a.json .vitest-results-b.json .vitest-results-c.json .vitest-results-u.json
run() { # TAG PROJECT-ARGS...
  local tag=$1
  shift
  npx vitest run "$@" --reporter=default --reporter=json --outputFile=".vitest-results-$tag.json" 2>&1 | sed -u "s/^/[$tag] /"
}
run a --project e2e &
a=$!
ru=0
if [ -n "$unit" ]; then
  run u --project unit &
  u=$!
fi
run b --project e2e-b &
b=$!
run c --project e2e-c &
c=$!
wait $a; ra=$?
wait $b; rb=$?
wait $c; rc=$?
if [ -n "$unit" ]; then wait $u; ru=$?; fi
# One report for all, in vitest's JSON shape, as a single run would write it.
node -e '
  const fs = require("fs");
  const files = [".vitest-results-a.json", ".vitest-results-b.json", ".vitest-results-c.json", ...(process.argv[1] ? [".vitest-results-u.json"] : [])];
  const runs = files.filter((f) => fs.existsSync(f)).map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
  if (runs.length === 0) { console.log("no test report was written"); process.exit(0) }
  const out = {...runs[0], testResults: runs.flatMap((r) => r.testResults), success: runs.length === files.length && runs.every((r) => r.success)};
  for (const k of Object.keys(out)) if (k.startsWith("num")) out[k] = runs.reduce((s, r) => s + (r[k] ?? 0), 0);
  out.startTime = Math.min(...runs.map((r) => r.startTime));
  fs.writeFileSync(".vitest-results.json", JSON.stringify(out));
  console.log(`${out.numPassedTests} passed, ${out.numFailedTests} failed` + (out.numPendingTests ? `, ${out.numPendingTests} skipped` : "") + (runs.length < files.length ? " (a run wrote no report)" : ""));
' "$unit"
[ $ra -eq 0 ] && [ $rb -eq 0 ] && [ $rc -eq 0 ] && [ $ru -eq 0 ]
