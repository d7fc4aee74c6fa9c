#!/usr/bin/env bash
# Runs the e2e projects `e2e` and `e2e-b` (vitest.config.ts) in two vitest processes at
# once, each on its own lab; with --with-unit the unit tests run in the first. Output
# lines are prefixed [a] and [b]; the two JSON reports are merged into
# .vitest-results.json.  Exits non-zero when either run fails.
set -uo pipefail
cd "$(dirname "$0")/.."
first=(--project e2e)
if [ "${1:-}" = --with-unit ]; then first=(--project unit --project e2e); fi
rm -f .vitest-results-a.json .vitest-results-b.json
npx vitest run "${first[@]}" --reporter=default --reporter=json --outputFile=.vitest-results-a.json 2>&1 | sed -u 's/^/[a] /' &
a=$!
npx vitest run --project e2e-b --reporter=default --reporter=json --outputFile=.vitest-results-b.json 2>&1 | sed -u 's/^/[b] /' &
b=$!
wait $a; ra=$?
wait $b; rb=$?
# One report for both, in vitest's JSON shape, as a single run would write it.
node -e '
  const fs = require("fs");
  const runs = [".vitest-results-a.json", ".vitest-results-b.json"].filter((f) => fs.existsSync(f)).map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
  if (runs.length === 0) { console.log("no test report was written"); process.exit(0) }
  const out = {...runs[0], testResults: runs.flatMap((r) => r.testResults), success: runs.length === 2 && runs.every((r) => r.success)};
  for (const k of Object.keys(out)) if (k.startsWith("num")) out[k] = runs.reduce((s, r) => s + (r[k] ?? 0), 0);
  out.startTime = Math.min(...runs.map((r) => r.startTime));
  fs.writeFileSync(".vitest-results.json", JSON.stringify(out));
  console.log(`${out.numPassedTests} passed, ${out.numFailedTests} failed` + (out.numPendingTests ? `, ${out.numPendingTests} skipped` : "") + (runs.length < 2 ? " (a run wrote no report)" : ""));
'
[ $ra -eq 0 ] && [ $rb -eq 0 ]
