#!/usr/bin/env bash
# Quick start: install what is missing, build, bring up a 3-node lab of SSH nodes,
# apply the hello example from git, and show what runs and how to reach it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
LAB_DIR=${KGIT_LAB_DIR:-$ROOT/kgit-lab}
kgit() { node "$ROOT/bin/run.js" "$@"; }

bash scripts/ensure-deps.sh

if kgit lab status >/dev/null 2>&1; then
  echo "kgit: the lab is already up; reusing it (kgit lab down to start over)"
  LAB_DIR=$(kgit lab status -o json | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0,"utf8")).repoDir)')
else
  kgit lab up --nodes 3 --dir "$LAB_DIR"
fi

mkdir -p "$LAB_DIR/manifests/hello"
cp manifests/examples/hello/*.yaml "$LAB_DIR/manifests/hello/"
git -C "$LAB_DIR" add -A
git -C "$LAB_DIR" -c user.name="kgit quickstart" -c user.email=quickstart@kgit.local commit -q -m "Add the hello example" || true

echo
echo "\$ kgit apply -C $LAB_DIR"
kgit apply -C "$LAB_DIR"
echo
echo "\$ kgit get pods -A -o wide -C $LAB_DIR"
kgit get pods -A -o wide -C "$LAB_DIR"
echo
echo "The hello app answers on port 8080 of every node:"
for addr in $(sed -n 's/^ *address: *//p' "$LAB_DIR/kgit.yaml"); do
  printf '  curl http://%s:8080/  ->  ' "$addr"
  node -e 'fetch(process.argv[1]).then(r=>r.text()).then(t=>process.stdout.write(t)).catch(e=>console.log("error: "+e.message))' "http://$addr:8080/"
done
echo
echo "Next: edit $LAB_DIR/manifests, git commit, then: node bin/run.js plan -C $LAB_DIR / apply -C $LAB_DIR"
echo "Tear the lab down with: node bin/run.js lab down"
