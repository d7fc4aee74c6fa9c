import type {Fact} from './fact.js'
import {parseNodeFiles, type NodeFiles} from './node-files.js'
import {podmanContainers, type RawContainer} from './podman-pods.js'

/**
 * Everything a plan needs from a node, in one bash process made of builtins (on a small
 * VM every exec costs ~7 ms, and a no-op run must stay cheap on every node):
 * - kgit's files under dataDir: pod and container IDs, probe states, record.json;
 * - `podman ps` of kgit's containers, from a cache on the node that is reused while
 *   podman's state database is older than the cache's time stamp (podman writes the
 *   database on every create, start, stop, exit and removal; `ps` only reads it) and
 *   every container it lists as running still has its process.
 */
const SCRIPT = String.raw`d=$1 filter=$2 c=$1/cache db= out=
# podman first, kgit's files after: a probe state read after the containers can explain them
# (a liveness loop that is restarting a container says so before it stops it).
ps_json() {
  [[ -f $c/podman-db ]] && { IFS= read -r db <"$c/podman-db" || true; }
  if [[ -z $db || ! -e $db ]]; then
    root=$(podman info --format '{{.Store.GraphRoot}}') || return 1
    db=
    for f in "$root/libpod/db.sql" "$root/libpod/bolt_state.db"; do [[ -z $db && -e $f ]] && db=$f; done
    mkdir -p "$c" && printf '%s\n' "$db" >"$c/podman-db"
  fi
  if [[ -n $db && -f $c/ps && -f $c/ps.t && -f $c/ps.pids && $c/ps.t -nt $db && ! ( -e $db-wal && $db-wal -nt $c/ps.t ) ]]; then
    local live=1 pids p
    IFS= read -r pids <"$c/ps.pids" || true
    for p in $pids; do [[ -d /proc/$p ]] || live=; done
    if [[ -n $live ]]; then
      IFS= read -r -d '' out <"$c/ps"
      return 0
    fi
  fi
  [[ -n $db ]] && mkdir -p "$c" && : >"$c/ps.t.$$"
  out=$(podman ps --all --filter "$filter" --format json) || { rm -f "$c/ps.t.$$"; return 1; }
  out+=$'\n'
  if [[ -n $db && -f $c/ps.t.$$ ]]; then
    pids=$(printf '%s' "$out" | sed -n 's/^ *"Pid": \([1-9][0-9]*\),*$/\1/p' | tr '\n' ' ')
    printf '%s' "$out" >"$c/ps.$$" && printf '%s\n' "$pids" >"$c/ps.pids.$$" && mv -f "$c/ps.pids.$$" "$c/ps.pids" && mv -f "$c/ps.$$" "$c/ps" && mv -f "$c/ps.t.$$" "$c/ps.t"
  fi
  rm -f "$c/ps.t.$$"
}
ps_json || exit 1
printf '%(%s)T\n' -1
if cd "$d" 2>/dev/null; then
  for f in ids/*.pod ids/*.ctr probes/*.state; do
    # podman writes ID files without a final newline: read then fails but fills the line.
    [[ -f $f ]] && { IFS= read -r line <"$f" || [[ -n $line ]]; } && printf '%s:%s\n' "$f" "$line"
  done
  if [[ -f record.json ]]; then
    IFS= read -r -d '' rec <record.json
    printf '@@kgit-record@@\n%s\n' "$rec"
  fi
fi
printf '@@kgit-ps@@\n%s' "$out"
exit 0`

export interface NodeState {
  files: NodeFiles
  containers: RawContainer[]
}

const PS_MARK = '@@kgit-ps@@\n'

export function nodeState(dataDir: string, filter: string): Fact<NodeState> {
  return {
    name: 'node state',
    argv: ['bash', '-c', SCRIPT, 'kgit-observe', dataDir, filter],
    parse(stdout: string): NodeState {
      const at = stdout.indexOf(PS_MARK)
      if (at < 0) throw new Error('the node state script ended early (no podman section)')
      return {files: parseNodeFiles(stdout.slice(0, at)), containers: podmanContainers.parse(stdout.slice(at + PS_MARK.length))}
    },
  }
}
