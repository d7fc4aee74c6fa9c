import type {Fact} from './fact.js'
import {parseNodeFiles, type NodeFiles} from './node-files.js'
import {podmanContainers, type RawContainer} from './podman-pods.js'
import type {NodeNet, Resources} from '../types.js'

/**
 * Everything a plan needs from a node, in one bash process made of builtins (on a small
 * VM every exec costs ~7 ms, and a no-op run must stay cheap on every node):
 * - what the node has (online CPUs, MemTotal, a cgroup v2 limit), for scheduling;
 * - kgit's files under dataDir: pod and container IDs, probe states, claim marks, the
 *   hashes of pods' configMap and secret files (argv/pod-files.ts), record.json;
 * - `podman ps` of kgit's containers, from a cache on the node that is reused while
 *   podman's state database is older than the cache's time stamp (podman writes the
 *   database on every create, start, stop, exit and removal; `ps` only reads it) and
 *   every container it lists as running still has its process.
 */
const SCRIPT = String.raw`d=$1 filter=$2 c=$1/cache db= out= fresh= sys=$3
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
  out+=$'\n' fresh=1
  if [[ -n $db && -f $c/ps.t.$$ ]]; then
    pids=$(printf '%s' "$out" | sed -n 's/^ *"Pid": \([1-9][0-9]*\),*$/\1/p' | tr '\n' ' ')
    printf '%s' "$out" >"$c/ps.$$" && printf '%s\n' "$pids" >"$c/ps.pids.$$" && mv -f "$c/ps.pids.$$" "$c/ps.pids" && mv -f "$c/ps.$$" "$c/ps" && mv -f "$c/ps.t.$$" "$c/ps.t"
  fi
  rm -f "$c/ps.t.$$"
}
# What the node has, as the kubelet counts it: online CPUs and MemTotal, lowered by a cgroup v2
# limit on the root of the node's cgroup namespace (a container or a VM slice given as a node).
capacity() {
  local l r cpu=0 mem=0 k v q p IFS=,
  # online is a list of ranges: 0-3,8-11 or 0.
  if read -r l 2>/dev/null <"$sys/sys/devices/system/cpu/online"; then
    for r in $l; do
      if [[ $r =~ ^([0-9]+)-([0-9]+)$ ]]; then cpu=$((cpu + BASH_REMATCH[2] - BASH_REMATCH[1] + 1)); elif [[ $r =~ ^[0-9]+$ ]]; then cpu=$((cpu + 1)); fi
    done
  fi
  IFS=$' \t\n'
  if ((cpu == 0)); then
    while IFS= read -r l; do [[ $l == processor* ]] && cpu=$((cpu + 1)); done 2>/dev/null <"$sys/proc/cpuinfo"
  fi
  cpu=$((cpu * 1000))
  if read -r q p 2>/dev/null <"$sys/sys/fs/cgroup/cpu.max" && [[ $q =~ ^[0-9]+$ && $p =~ ^[1-9][0-9]*$ ]]; then
    q=$(((q * 1000 + p - 1) / p))
    ((cpu == 0 || q < cpu)) && cpu=$q
  fi
  while read -r k v _; do [[ $k == MemTotal: ]] && { mem=$((v * 1024)); break; }; done 2>/dev/null <"$sys/proc/meminfo"
  if read -r q 2>/dev/null <"$sys/sys/fs/cgroup/memory.max" && [[ $q =~ ^[0-9]+$ ]]; then
    ((mem == 0 || q < mem)) && mem=$q
  fi
  printf '@@kgit-capacity@@ cpu=%s memory=%s\n' "$cpu" "$mem"
}
# podman ps does not tell restarts: asked only when a container restarts on failure (Job pods, ADR 0010),
# and kept with the ps cache (a restart writes podman's database, so a cached ps has current counts).
restarts() {
  [[ $out == *'"kgit.dev/restart": "on-failure"'* ]] || return 0
  local ids r= ok=1
  if [[ -z $fresh && -f $c/restarts ]]; then
    IFS= read -r -d '' r <"$c/restarts"
    printf '%s' "$r"
    return 0
  fi
  rm -f "$c/restarts"
  ids=$(podman ps -aq --no-trunc --filter label=kgit.dev/restart=on-failure) || return 0
  # A container removed between ps and inspect: the others are still told, but not kept.
  if [[ -n $ids ]]; then r=$(podman container inspect --format '@@kgit-restarts@@ {{.Id}} {{.RestartCount}}' $ids 2>/dev/null) || ok=; fi
  [[ -n $r ]] && r+=$'\n'
  [[ -n $ok && -n $db ]] && mkdir -p "$c" && printf '%s' "$r" >"$c/restarts.$$" && mv -f "$c/restarts.$$" "$c/restarts"
  printf '%s' "$r"
}
# kgit's pod network, once made: the state hash in its iptables chains, and the gateway routes.
network() {
  [[ -f $d/net/state ]] || return 0
  local t l ifc dest gw flags ref use metric mask _
  printf '@@kgit-net@@ checked\n'
  for t in nat filter; do
    while IFS= read -r l; do printf '@@kgit-net@@ %s %s\n' "$t" "$l"; done < <(iptables -w -t "$t" -S KGIT-STATE 2>/dev/null)
  done
  # The first jumps of filter FORWARD: kgit's hooks must come before anything that ACCEPTs (netavark's).
  printf '@@kgit-net@@ forward %s\n' "$(iptables -w -S FORWARD 2>/dev/null | awk 'NR > 1 && n < 4 { for (i = 1; i < NF; i++) if ($i == "-j") { printf "%s ", $(i + 1); n++ } }')"
  while read -r ifc dest gw flags ref use metric mask _; do
    [[ $gw == 00000000 || $gw == Gateway ]] || printf '@@kgit-net@@ route %s %s %s\n' "$dest" "$mask" "$gw"
  done 2>/dev/null </proc/net/route
}
ps_json || exit 1
printf '%(%s)T\n' -1
capacity
restarts
network
if cd "$d" 2>/dev/null; then
  for f in ids/*.pod ids/*.ctr probes/*.state claims/*/* net/slice net/state pod-files/*/hash; do
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
  /** cpu (millicores) and memory (bytes) the node reports; absent when it could not tell. */
  capacity?: Resources
  /** Container ID -> restarts, for containers that restart on failure. */
  restarts?: Map<string, number>
  /** kgit's pod network on the node, once made. */
  net?: NodeNet
}

const PS_MARK = '@@kgit-ps@@\n'
const CAPACITY_MARK = '@@kgit-capacity@@ '
const RESTARTS_MARK = '@@kgit-restarts@@ '
const NET_MARK = '@@kgit-net@@ '

/**
 * @param sysRoot prefix of `/proc` and `/sys` (tests point it at a fake tree); '' on nodes.
 */
export function nodeState(dataDir: string, filter: string, sysRoot = ''): Fact<NodeState> {
  return {
    name: 'node state',
    argv: ['bash', '-c', SCRIPT, 'kgit-observe', dataDir, filter, ...(sysRoot ? [sysRoot] : [])],
    parse(stdout: string): NodeState {
      const at = stdout.indexOf(PS_MARK)
      if (at < 0) throw new Error('the node state script ended early (no podman section)')
      const {rest: head, capacity} = takeCapacity(stdout.slice(0, at))
      const {rest: head2, restarts} = takeRestarts(head)
      const {rest, lines: netLines} = takeMarked(head2, NET_MARK)
      const files = parseNodeFiles(rest)
      const out: NodeState = {files, containers: podmanContainers.parse(stdout.slice(at + PS_MARK.length))}
      if (capacity) out.capacity = capacity
      if (restarts.size > 0) out.restarts = restarts
      const net = parseNet(files.net, netLines)
      if (net) out.net = net
      return out
    },
  }
}

/** Takes the capacity line (printed right after the clock, before any file) out of the head of the answer. */
function takeCapacity(head: string): {rest: string; capacity?: Resources} {
  const start = head.indexOf('\n' + CAPACITY_MARK) + 1
  if (start === 0) return {rest: head}
  const end = head.indexOf('\n', start)
  const stop = end < 0 ? head.length : end + 1
  const capacity = parseCapacity(head.slice(start + CAPACITY_MARK.length, stop))
  const rest = head.slice(0, start) + head.slice(stop)
  return capacity ? {rest, capacity} : {rest}
}

/** Takes the restart lines (printed after the capacity line, before any file) out of the head of the answer. */
function takeRestarts(head: string): {rest: string; restarts: Map<string, number>} {
  const restarts = new Map<string, number>()
  const lines = head.split('\n').filter((l) => {
    if (!l.startsWith(RESTARTS_MARK)) return true
    const [id, n] = l.slice(RESTARTS_MARK.length).trim().split(/\s+/)
    if (id && /^[0-9]+$/.test(n ?? '')) restarts.set(id, Number(n))
    return false
  })
  return {rest: lines.join('\n'), restarts}
}

/** `cpu=2000 memory=4102344704` -> resources; zero or malformed amounts are left out. */
export function parseCapacity(line: string): Resources | undefined {
  const out: Resources = {}
  for (const word of line.trim().split(/\s+/)) {
    const m = /^([a-z][a-z0-9./-]*)=([0-9]+)$/.exec(word)
    if (m && Number(m[2]) > 0) out[m[1]!] = Number(m[2])
  }
  return Object.keys(out).length > 0 ? out : undefined
}

/** Takes the lines that start with `mark` out of the head of the answer. */
function takeMarked(head: string, mark: string): {rest: string; lines: string[]} {
  const lines: string[] = []
  const rest = head
    .split('\n')
    .filter((l) => {
      if (!l.startsWith(mark)) return true
      lines.push(l.slice(mark.length))
      return false
    })
    .join('\n')
  return {rest, lines}
}

/** `/proc/net/route` words are little-endian hex: `0012A8C6` is 198.168.18.0. */
function hexIPv4(hex: string): string | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return undefined
  const n = parseInt(hex, 16)
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.')
}

function maskBits(hex: string): number {
  const n = parseInt(hex, 16)
  let bits = 0
  for (let v = n >>> 0; v; v >>>= 1) bits += v & 1
  return bits
}

/** The network lines of the node state script: `nat|filter <KGIT-STATE rules>`, `forward TARGETS...` and `route DEST MASK GW`. */
export function parseNet(files: {slice?: string; state?: string}, lines: string[]): NodeNet | undefined {
  if (!files.slice && !files.state && lines.length === 0) return undefined
  const net: NodeNet = {...files}
  if (lines.length === 0) return net
  const tables = {nat: '', filter: ''}
  const routes: {dest: string; via: string}[] = []
  for (const l of lines) {
    const [kind, ...words] = l.split(' ')
    const hash = /kgit-state ([0-9a-f]+)/.exec(words.join(' '))?.[1]
    if ((kind === 'nat' || kind === 'filter') && hash) tables[kind] = hash
    else if (kind === 'forward') net.forward = words.filter((w) => w !== '')
    else if (kind === 'route') {
      const dest = hexIPv4(words[0] ?? '')
      const via = hexIPv4(words[2] ?? '')
      if (dest && via) routes.push({dest: `${dest}/${maskBits(words[1] ?? '0')}`, via})
    }
  }
  net.tables = tables
  // A node shows at least its default route; one that shows none is not asked about routes.
  if (routes.length > 0) net.routes = routes
  return net
}
