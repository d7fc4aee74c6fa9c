// kubemark for kgit: simulated nodes that answer kgit's node protocol in process, so the
// engine can be measured at Kubernetes' scale (5,000 nodes / 150,000 pods) without machines.
//
// A SimNode is a Transport. It keeps in memory what a node would hold for kgit: podman
// pods and containers with their labels, the ID files under the data dir, probe spec and
// state files, record.json and the lock directory. It interprets every argv kgit sends
// (the observe script, the lock scripts, podman pod create / run / pod rm / rm / volume
// create / volume prune, the pod file scripts, probe installation, the record write) and
// answers in the exact formats kgit parses. Containers run, and probes pass, at once.
//
// It is written independently of kgit's code (no import from src/ or dist/), and it is
// strict: a command it does not know, an option of podman it does not know, or a shell
// script whose text changed since the simulator was written, fails with exit code 1 and a
// stderr that names it, and is kept in `fleet.problems`. test/unit/kubemark.test.ts runs
// kgit's apply and plan against it, so a change of kgit's protocol the simulator does not
// follow fails that test.
import {createHash} from 'node:crypto'

/**
 * The shell scripts kgit sends, by their $0, with a fingerprint (sha256 prefix) of the
 * text this simulator was written against. A script that changed must be read again and
 * the simulator taught what it now does; then update the fingerprint here.
 */
export const KNOWN_SCRIPTS = {
  'kgit-observe': ['4f2a83c0445ec110'], // claim marks, pod-files hashes and restarts of on-failure containers (Job pods, cached with ps): none simulated
  'kgit-lock': ['7e63967ea8881e8f'],
  // release (dir, token) and break (dir): the same $0
  'kgit-unlock': ['10467699f8e446ea', '424d079a56b37694'],
  'kgit-lock-holder': ['72b1044e2142778d'],
  'kgit-pod-prepare': ['063ac216c7059452'],
  'kgit-pod-files': ['26a381d07e0d56a6'],
  // runAsNonRoot: the image's user, then a runAsUser of 0 (images carry no user here: passes)
  'kgit-nonroot': ['c28799e57eeaba7b', '0e88f6beabbafd83'],
  // an emptyDir's mode for pods with a user or fsGroup (volumes carry no modes here)
  'kgit-emptydir': ['d096a2c53e9cc0b8'],
  'kgit-record': ['102959e693da9b39'],
  'kgit-probes': ['58e59e4045911275'],
  // the pod network (routes, iptables chains, hosts files): its slice and state hash are kept, nothing else
  // simulated; the node shows no routes (so kgit does not check them: 5,000 nodes x 5,000 routes is no simulation)
  'kgit-net': ['27fbd6c4cfe7aa32'],
}
const RELEASE_FP = '10467699f8e446ea'


/** Options of podman subcommands kgit uses: name -> number of values (0: a flag). */
const POD_CREATE_OPTS = {'--name': 1, '--infra-name': 1, '--pod-id-file': 1, '--hostname': 1, '--label': 1, '--publish': 1, '--network': 1, '--ip': 1, '--mac-address': 1}
const RUN_OPTS = {'--detach': 0, '--pod': 1, '--name': 1, '--cidfile': 1, '--label': 1, '--restart': 1, '--pull': 1, '--env': 1, '--workdir': 1, '--volume': 1, '--entrypoint': 1, '--cpus': 1, '--memory': 1, '--cpu-shares': 1, '--user': 1, '--group-add': 1, '--privileged': 0, '--cap-drop': 1, '--cap-add': 1, '--read-only': 0, '--read-only-tmpfs=false': 0, '--security-opt': 1}
const POD_RM_OPTS = {'--force': 0, '--time': 1}
const RM_OPTS = {'--force': 0, '--time': 1}
const VOLUME_CREATE_OPTS = {'--label': 1, '--opt': 1}
const VOLUME_PRUNE_OPTS = {'--force': 0, '--filter': 1}
const PS_OPTS = {'--all': 0, '--filter': 1, '--format': 1}

const LOCK_HELD_EXIT = 3
const fingerprints = new Map()

function fingerprint(text) {
  let fp = fingerprints.get(text)
  if (fp === undefined) {
    fp = createHash('sha256').update(text).digest('hex').slice(0, 16)
    fingerprints.set(text, fp)
  }
  return fp
}

class Refusal extends Error {}

/** Parses `opts` of a podman subcommand; an option not in `known` is refused. Returns options and the operands. */
function parseOpts(argv, known, what) {
  const opts = new Map()
  let i = 0
  for (; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--') {
      i++
      break
    }
    if (!a.startsWith('-')) break
    const n = known[a]
    if (n === undefined) throw new Refusal(`${what}: option ${a} is not known to the simulator`)
    const v = n === 0 ? true : argv[++i]
    if (v === undefined) throw new Refusal(`${what}: option ${a} needs a value`)
    opts.set(a, [...(opts.get(a) ?? []), v])
  }
  return {opts, rest: argv.slice(i)}
}

const one = (opts, name) => opts.get(name)?.at(-1)
const labelsOf = (opts) => Object.fromEntries((opts.get('--label') ?? []).map((l) => [l.slice(0, l.indexOf('=') < 0 ? l.length : l.indexOf('=')), l.indexOf('=') < 0 ? '' : l.slice(l.indexOf('=') + 1)]))

/** `label=K=V` or `label=K`, as podman's --filter reads them. */
function labelFilter(spec) {
  const m = /^label=([^=]+)(?:=(.*))?$/.exec(spec)
  if (!m) throw new Refusal(`podman filter ${spec} is not known to the simulator`)
  const [, k, v] = m
  return (labels) => labels[k] !== undefined && (v === undefined || labels[k] === v)
}

/** One node: kgit's podman objects and files, in memory. */
export class SimNode {
  /**
   * @param {string} node
   * @param {{latencyMs?: number, clock?: () => number, fleet?: SimFleet, record?: boolean}} [opts]
   *   latencyMs: added to every round trip; clock: the node's time in seconds;
   *   record: keep every argv received in `calls`.
   */
  constructor(node, opts = {}) {
    this.node = node
    this.latencyMs = opts.latencyMs ?? 0
    this.clock = opts.clock ?? (() => Math.floor(Date.now() / 1000))
    /** What the node reports it has: cpu in millicores, memory in bytes (a 64-core, 256 GiB machine). */
    this.capacity = opts.capacity ?? {cpu: 64000, memory: 256 * 2 ** 30}
    this.fleet = opts.fleet
    this.calls = opts.record ? [] : undefined
    /** path -> text; probe state files are {loop: {since, token}} (a running probe loop writes them). */
    this.files = new Map()
    /** pod ID -> {id, name, infraId, labels, ports, created} */
    this.pods = new Map()
    /** container ID -> podman ps fields */
    this.containers = new Map()
    /** volume name -> labels */
    this.volumes = new Map()
    /** dataDir -> {token, holder} */
    this.locks = new Map()
    this.hostPaths = new Set()
    this.seq = 0
  }

  /** Transport: the steps run in order, stopping at the first failure. */
  exec(steps, opts = {}) {
    return new Promise((resolve) => {
      const answer = () => resolve(this.run(steps, opts))
      if (this.latencyMs > 0) setTimeout(answer, this.latencyMs)
      // Answered on a later turn, as a network would: each node's answer is parsed before the next is made.
      else setImmediate(answer)
    })
  }

  async close() {}

  /** The same as exec, synchronously (seeding a large fleet). */
  run(steps, opts = {}) {
    let stdout = ''
    let stderr = ''
    for (const argv of steps) {
      this.calls?.push(argv)
      let r
      try {
        r = this.step(argv, opts.stdin)
      } catch (err) {
        if (!(err instanceof Refusal)) throw err
        const msg = `kubemark: node ${this.node} cannot answer ${JSON.stringify(argv.slice(0, 4)).slice(0, 200)}...: ${err.message}`
        this.fleet?.problems.push(msg)
        r = {stdout: '', stderr: msg + '\n', exitCode: 1}
      }
      stdout += r.stdout ?? ''
      stderr += r.stderr ?? ''
      if (r.exitCode !== 0) return {stdout, stderr, exitCode: r.exitCode}
    }
    return {stdout, stderr, exitCode: 0}
  }

  step(argv, stdin) {
    const [cmd, ...args] = argv
    if (cmd === 'echo') return ok(args.join(' ') + '\n')
    if ((cmd === 'sh' || cmd === 'bash') && args[0] === '-c') return this.script(args[1], args[2], args.slice(3), stdin)
    if (cmd === 'podman') return this.podman(args)
    if (cmd === 'mkdir' && args[0] === '-p' && args[1] === '--' && args.length === 3) return this.hostPaths.add(args[2]), ok()
    if (cmd === 'touch' && args[0] === '-a' && args[1] === '--' && args.length === 3) return this.hostPaths.add(args[2]), ok()
    throw new Refusal(`command ${cmd} is not known to the simulator`)
  }

  script(text, name, args, stdin) {
    // hostPath checks: `test -d "$1" || { echo ... >&2; exit 1; }` with $0 = sh
    if (name === 'sh' && /^test -[dfSbc] "\$1" \|\| \{ echo "hostPath \$1 is not [^"]+" >&2; exit 1; \}$/.test(text)) return ok()
    const known = KNOWN_SCRIPTS[name]
    if (!known) throw new Refusal(`shell script named ${name} is not known to the simulator`)
    const fp = fingerprint(text)
    if (!known.includes(fp)) throw new Refusal(`the ${name} script changed (fingerprint ${fp}, known ${known.join(', ')}): read what it now does, teach bench/kubemark.js, then update KNOWN_SCRIPTS`)
    const [d] = args
    switch (name) {
      case 'kgit-observe':
        return this.observe(d, args[1])
      case 'kgit-lock':
        return this.lockAcquire(d, args[1], args[2], args[3])
      case 'kgit-unlock': {
        const held = this.locks.get(d)
        if (fp === RELEASE_FP) {
          if (held?.token === args[1]) this.locks.delete(d)
          return ok()
        }
        this.locks.delete(d)
        return ok(held?.holder ?? '')
      }
      case 'kgit-lock-holder':
        return ok(this.locks.get(d)?.holder ?? '')
      case 'kgit-emptydir':
        return ok()
      case 'kgit-nonroot':
        return args[0]?.startsWith('CreateContainerConfigError') ? {stdout: '', stderr: args[0] + '\n', exitCode: 1} : ok()
      case 'kgit-pod-prepare':
      case 'kgit-pod-files':
        this.podFilesRm(d, args[1])
        return ok()
      case 'kgit-record':
        this.files.set(`${d}/record.json`, stdin ?? '')
        return ok()
      case 'kgit-probes':
        return this.probesStart(d, args[1], args[2], args.slice(3))
      case 'kgit-net':
        this.files.set(`${d}/net/slice`, args[1])
        this.files.set(`${d}/net/state`, args[3])
        return ok()
    }
    throw new Refusal(`shell script named ${name} is not handled`)
  }

  lockAcquire(d, token, holder, mark) {
    const held = this.locks.get(d)
    if (held) return {stdout: `${mark}\n${held.holder}`, stderr: '', exitCode: LOCK_HELD_EXIT}
    this.locks.set(d, {token, holder})
    return ok()
  }

  /** rm -f "$d/probes/$pod"_* "$d/ids/$pod.pod" "$d/ids/$pod"_*.ctr */
  podFilesRm(d, pod) {
    const probes = `${d}/probes/${pod}_`
    const ids = `${d}/ids/${pod}_`
    this.files.delete(`${d}/ids/${pod}.pod`)
    for (const path of this.files.keys()) {
      if (path.startsWith(probes) || (path.startsWith(ids) && path.endsWith('.ctr'))) this.files.delete(path)
    }
  }

  probesStart(d, pod, script, pairs) {
    const token = this.files.get(`${d}/ids/${pod}.pod`)
    if (typeof token !== 'string') return {stdout: '', stderr: `cat: ${d}/ids/${pod}.pod: No such file or directory\n`, exitCode: 1}
    this.files.set(`${d}/bin/kgit-probe`, script)
    const since = this.clock()
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      this.files.set(`${d}/probes/${pairs[i]}`, `token=${token}\n${pairs[i + 1]}`)
      // The loop writes its state at once: passing, as every simulated probe does.
      this.files.set(`${d}/probes/${pairs[i]}.state`, {loop: {since, token}})
    }
    return ok()
  }

  /** The node state script (src/engine/facts/node-state.ts): podman first, then kgit's files. */
  observe(d, filter) {
    const ps = this.ps(['--all', '--filter', filter, '--format', 'json'])
    const now = this.clock()
    const pods = []
    const ctrs = []
    const states = []
    const ids = `${d}/ids/`
    const probes = `${d}/probes/`
    for (const [path, v] of this.files) {
      if (path.startsWith(ids) && !path.includes('/', ids.length)) {
        if (path.endsWith('.pod')) pods.push(`${path.slice(d.length + 1)}:${v}`)
        else if (path.endsWith('.ctr')) ctrs.push(`${path.slice(d.length + 1)}:${v}`)
      } else if (path.startsWith(probes) && path.endsWith('.state') && !path.includes('/', probes.length)) {
        const s = typeof v === 'string' ? v.replace(/\n$/, '') : `ok ${v.loop.since} ${now} 0 ${v.loop.token} `
        states.push(`${path.slice(d.length + 1)}:${s}`)
      }
    }
    let out = `${now}\n@@kgit-capacity@@ cpu=${this.capacity.cpu} memory=${this.capacity.memory}\n`
    // kgit's pod network as a node whose chains and routes are as kgit wrote them.
    const state = this.files.get(`${d}/net/state`)
    const slice = this.files.get(`${d}/net/slice`)
    if (typeof state === 'string') out += `@@kgit-net@@ checked\n@@kgit-net@@ nat -A KGIT-STATE -m comment --comment "kgit-state ${state}" -j RETURN\n@@kgit-net@@ filter -A KGIT-STATE -m comment --comment "kgit-state ${state}" -j RETURN\n`
    for (const list of [pods, ctrs, states]) if (list.length > 0) out += list.sort().join('\n') + '\n'
    if (typeof slice === 'string') out += `net/slice:${slice}\n`
    if (typeof state === 'string') out += `net/state:${state}\n`
    const rec = this.files.get(`${d}/record.json`)
    if (typeof rec === 'string') out += `@@kgit-record@@\n${rec}\n`
    return ok(`${out}@@kgit-ps@@\n${ps.stdout}\n`)
  }

  podman(args) {
    const [sub, ...rest] = args
    if (sub === 'pod' && rest[0] === 'create') return this.podCreate(rest.slice(1))
    if (sub === 'pod' && rest[0] === 'rm') return this.podRm(rest.slice(1))
    if (sub === 'run') return this.containerRun(rest)
    if (sub === 'rm') return this.containerRm(rest)
    if (sub === 'ps') return this.ps(rest)
    if (sub === 'volume' && rest[0] === 'create') return this.volumeCreate(rest.slice(1))
    if (sub === 'volume' && rest[0] === 'prune') return this.volumePrune(rest.slice(1))
    throw new Refusal(`podman ${sub} ${rest[0] ?? ''} is not known to the simulator`)
  }

  newId() {
    return createHash('sha256').update(`${this.node}/${++this.seq}`).digest('hex')
  }

  podCreate(argv) {
    const {opts, rest} = parseOpts(argv, POD_CREATE_OPTS, 'podman pod create')
    if (rest.length > 0) throw new Refusal(`podman pod create: unexpected operands ${rest.join(' ')}`)
    const name = one(opts, '--name')
    const idFile = one(opts, '--pod-id-file')
    if (!name) throw new Refusal('podman pod create without --name')
    if (this.podByRef(name)) return fail(125, `Error: adding pod to state: name "${name}" is in use: pod already exists`)
    if (idFile && this.files.has(idFile)) return fail(125, `Error: pod id file exists. Ensure another pod is not using it or delete ${idFile}`)
    const id = this.newId()
    const infraId = this.newId()
    const labels = labelsOf(opts)
    const now = this.clock()
    const infraName = one(opts, '--infra-name') ?? `${id.slice(0, 12)}-infra`
    this.pods.set(id, {id, name, infraId, labels, ports: opts.get('--publish') ?? [], created: now})
    // podman gives the pod's labels to its infra container: ps then describes the pod too.
    this.containers.set(infraId, {Id: infraId, Image: 'localhost/podman-pause:5.0.0', Command: [], Created: now, State: 'created', ExitCode: 0, Pid: 0, Names: [infraName], Pod: id, PodName: name, IsInfra: true, Labels: labels, StartedAt: 0})
    if (idFile) this.files.set(idFile, id)
    return ok(`${id}\n`)
  }

  podByRef(ref) {
    const byId = this.pods.get(ref)
    if (byId) return byId
    for (const p of this.pods.values()) if (p.name === ref) return p
    return undefined
  }

  containerByRef(ref) {
    const byId = this.containers.get(ref)
    if (byId) return byId
    for (const c of this.containers.values()) if (c.Names[0] === ref) return c
    return undefined
  }

  containerRun(argv) {
    const {opts, rest} = parseOpts(argv, RUN_OPTS, 'podman run')
    const [image, ...cmd] = rest
    if (!image) throw new Refusal('podman run without an image')
    if (!opts.has('--detach')) throw new Refusal('podman run without --detach would block')
    const name = one(opts, '--name')
    const cidFile = one(opts, '--cidfile')
    const podRef = one(opts, '--pod')
    const pod = podRef ? this.podByRef(podRef) : undefined
    if (podRef && !pod) return fail(125, `Error: no pod with name or ID ${podRef} found: no such pod`)
    if (name && this.containerByRef(name)) return fail(125, `Error: creating container storage: the container name "${name}" is already in use by another container. You have to remove that container to be able to reuse that name: that name is already in use`)
    if (cidFile && this.files.has(cidFile)) return fail(125, `Error: container id file exists. Ensure another container is not using it or delete ${cidFile}`)
    const now = this.clock()
    if (pod) {
      const infra = this.containers.get(pod.infraId)
      if (infra.State !== 'running') {
        const clash = this.portClash(pod)
        if (clash) return fail(126, `Error: starting some containers: internal libpod error: rootlessport listen tcp ${clash}: bind: address already in use`)
        Object.assign(infra, {State: 'running', StartedAt: now, Pid: 1000 + this.seq})
      }
    }
    const id = this.newId()
    const entrypoint = one(opts, '--entrypoint')
    this.containers.set(id, {Id: id, Image: image, Command: [...(entrypoint ? JSON.parse(entrypoint) : []), ...cmd], Created: now, State: 'running', ExitCode: 0, Pid: 1000 + this.seq, Names: [name ?? id.slice(0, 12)], Pod: pod?.id ?? '', PodName: pod?.name ?? '', IsInfra: false, Labels: labelsOf(opts), StartedAt: now})
    if (cidFile) this.files.set(cidFile, id)
    return ok(`${id}\n`)
  }

  /** A published host port another running pod holds (`[IP:]HOST:CTR/PROTO`). */
  portClash(pod) {
    const key = (p) => {
      const [spec, proto] = p.split('/')
      const parts = spec.split(':')
      return {ip: parts.length === 3 ? parts[0] : '0.0.0.0', port: parts.at(-2), proto}
    }
    const want = pod.ports.map(key)
    if (want.length === 0) return undefined
    for (const other of this.pods.values()) {
      if (other === pod || this.containers.get(other.infraId)?.State !== 'running') continue
      for (const h of other.ports.map(key)) {
        for (const w of want) if (h.port === w.port && h.proto === w.proto && (h.ip === w.ip || h.ip === '0.0.0.0' || w.ip === '0.0.0.0')) return `${w.ip}:${w.port}`
      }
    }
    return undefined
  }

  podRm(argv) {
    const {rest} = parseOpts(argv, POD_RM_OPTS, 'podman pod rm')
    let out = ''
    for (const ref of rest) {
      const pod = this.podByRef(ref)
      if (!pod) return fail(1, `Error: no pod with name or ID ${ref} found: no such pod`, out)
      for (const [id, c] of this.containers) if (c.Pod === pod.id) this.containers.delete(id)
      this.pods.delete(pod.id)
      out += `${pod.id}\n`
    }
    return ok(out)
  }

  containerRm(argv) {
    const {rest} = parseOpts(argv, RM_OPTS, 'podman rm')
    let out = ''
    for (const ref of rest) {
      const c = this.containerByRef(ref)
      if (!c) return fail(1, `Error: no container with name or ID "${ref}" found: no such container`, out)
      if (c.IsInfra && this.pods.has(c.Pod)) return fail(125, `Error: container ${c.Id} is the infra container of pod ${c.Pod} and cannot be removed without removing the pod`, out)
      this.containers.delete(c.Id)
      out += `${c.Id}\n`
    }
    return ok(out)
  }

  /** `podman ps --all --filter label=... --format json`: the fields podman prints that kgit reads, and a few more. */
  ps(argv) {
    const {opts, rest} = parseOpts(argv, PS_OPTS, 'podman ps')
    if (rest.length > 0 || one(opts, '--format') !== 'json' || !opts.has('--all')) throw new Refusal(`podman ps ${argv.join(' ')}: only --all --format json is simulated`)
    const filters = (opts.get('--filter') ?? []).map(labelFilter)
    const list = []
    for (const c of this.containers.values()) if (filters.every((f) => f(c.Labels))) list.push(c)
    return ok(JSON.stringify(list))
  }

  volumeCreate(argv) {
    const {opts, rest} = parseOpts(argv, VOLUME_CREATE_OPTS, 'podman volume create')
    const [name] = rest
    if (!name || rest.length > 1) throw new Refusal(`podman volume create: expected one name, got ${rest.join(' ')}`)
    if (this.volumes.has(name)) return fail(125, `Error: volume with name ${name} already exists: volume already exists`)
    this.volumes.set(name, labelsOf(opts))
    return ok(`${name}\n`)
  }

  volumePrune(argv) {
    const {opts, rest} = parseOpts(argv, VOLUME_PRUNE_OPTS, 'podman volume prune')
    if (rest.length > 0 || !opts.has('--force')) throw new Refusal(`podman volume prune ${argv.join(' ')}`)
    const filters = (opts.get('--filter') ?? []).map(labelFilter)
    let out = ''
    for (const [name, labels] of this.volumes) {
      if (filters.every((f) => f(labels))) {
        this.volumes.delete(name)
        out += `${name}\n`
      }
    }
    return ok(out)
  }

  /** What kgit's pods on this node are, for tests: `namespace/name` of every pod. */
  podNames() {
    return [...this.pods.values()].map((p) => `${p.labels['kgit.dev/namespace']}/${p.labels['kgit.dev/name']}`).sort()
  }
}

function ok(stdout = '') {
  return {stdout, stderr: '', exitCode: 0}
}

function fail(exitCode, message, stdout = '') {
  return {stdout, stderr: message + '\n', exitCode}
}

/** Simulated nodes by name, kept across runs (an apply, then a plan, see the same nodes). */
export class SimFleet {
  /** @param {{latencyMs?: number, clock?: () => number, record?: boolean}} [opts] */
  constructor(opts = {}) {
    this.opts = opts
    /** @type {Map<string, SimNode>} */
    this.nodes = new Map()
    /** Names of nodes that do not answer (connection refused). */
    this.down = new Set()
    /** Every command a node could not answer: a test expects none. */
    this.problems = []
  }

  node(name) {
    let n = this.nodes.get(name)
    if (!n) {
      n = new SimNode(name, {...this.opts, fleet: this})
      this.nodes.set(name, n)
    }
    return n
  }

  /** A kgit Connector: every node of the cluster, simulated. */
  connector() {
    return async (cluster) => {
      const nodes = new Map()
      for (const n of cluster.nodes) {
        nodes.set(n.name, Promise.resolve(this.down.has(n.name) ? {unreachable: 'connect ECONNREFUSED (simulated)'} : {transport: this.node(n.name)}))
      }
      return {nodes, close: async () => {}}
    }
  }

  podCount() {
    let n = 0
    for (const node of this.nodes.values()) n += node.pods.size
    return n
  }
}

/** A Connector over simulated nodes; pass a fleet to keep its state across runs. */
export function simConnector(fleet = new SimFleet()) {
  return fleet.connector()
}

/**
 * Puts a plan's new pods on the fleet directly, the steps an apply would send (from
 * kgit's own argv builder, `podRun`), without the round trips: a large fleet is ready in
 * seconds. Only `create` actions; anything else is refused.
 * @param {SimFleet} fleet
 * @param {{type: string, node: string, pod?: unknown}[]} actions
 * @param {{podRun: (pod: unknown, ctx: {dataDir: string, probeScript: string, node: string}) => string[][], dataDirs: Map<string, string>, probeScript: string}} how
 */
export function seedFleet(fleet, actions, how) {
  for (const a of actions) {
    if (a.type === 'sync-network' && how.networkSync) {
      const {argv, stdin} = how.networkSync(a, how.dataDirs.get(a.node) ?? '/var/lib/kgit')
      const r = fleet.node(a.node).run([argv], {stdin})
      if (r.exitCode !== 0) throw new Error(`seedFleet: node ${a.node}: ${r.stderr}`)
      continue
    }
    if (a.type !== 'create') throw new Error(`seedFleet: only create and network actions, got ${a.type}`)
    const steps = how.podRun(a.pod, {dataDir: how.dataDirs.get(a.node) ?? '/var/lib/kgit', probeScript: how.probeScript, node: a.node})
    const r = fleet.node(a.node).run(steps)
    if (r.exitCode !== 0) throw new Error(`seedFleet: node ${a.node}: ${r.stderr}`)
  }
}
