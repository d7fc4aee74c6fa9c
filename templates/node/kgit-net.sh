# kgit's pod network on one node (ADR 0017), written by `kgit apply` in one round trip.
# Arguments: DATA_DIR SLICE GATEWAY STATE_HASH NETWORK_NAME ROUTE_PROTO.
# stdin: sections, each after a line `@@kgit-file NAME`: routes (DEST VIA per line),
# nat and filter (iptables-restore input of kgit's chains), hooks (TABLE CHAIN RULE-WORDS...
# per line, tab-separated, inserted first when missing) and hosts.NAMESPACE (a namespace's /etc/hosts).
set -o pipefail
d=$1 slice=$2 gw=$3 hash=$4 netname=$5 proto=$6
n=$d/net
in=$n/in.$$
# The state the last sync wrote: the chain digests kept with it are trusted only while the
# tables still carry it (a flushed or edited KGIT-STATE means a full rewrite).
old=
[[ -f $n/state ]] && { IFS= read -r old <"$n/state" || true; }
fail() { printf 'kgit-net: %s\n' "$*" >&2; rm -rf "$in"; exit 1; }
mkdir -p "$n/hosts" "$in" || fail "cannot create $n"
awk -v dir="$in" '/^@@kgit-file /{f=dir "/" $2; printf "" > f; next} f{print > f}' || fail 'cannot read the network state from stdin'

# Forwarding between nodes and pods; bridged pod traffic through iptables (Service replies, NetworkPolicy).
echo 1 >/proc/sys/net/ipv4/ip_forward || fail 'cannot turn on net.ipv4.ip_forward'
[[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]] || modprobe br_netfilter 2>/dev/null || true
[[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]] && echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables

# The podman network for kgit's pods, on this node's slice.
cur=
[[ -f $n/slice ]] && { IFS= read -r cur <"$n/slice" || true; }
if [[ $cur != "$slice" ]] || ! podman network exists "$netname"; then
  if podman network exists "$netname"; then
    podman network rm -f "$netname" >/dev/null || fail "cannot remove podman network $netname (slice $cur -> $slice)"
  fi
  podman network create --driver bridge --subnet "$slice" --gateway "$gw" --disable-dns --label kgit.dev/managed=true "$netname" >/dev/null || fail "cannot create podman network $netname on $slice"
fi
printf '%s\n' "$slice" >"$n/slice"

# Routes to the other nodes' slices (host-gw), marked with kgit's protocol number.
declare -A want
while read -r dst via; do
  [[ -n $dst ]] || continue
  if [[ $via == unreachable ]]; then
    want[$dst]=unreachable
    continue
  fi
  if [[ ! $via =~ ^[0-9.]+$ ]]; then
    via=$(getent ahostsv4 "$via" | awk 'NR==1{print $1}')
    [[ -n $via ]] || fail "cannot resolve the address of the node that holds $dst"
  fi
  want[$dst]=$via
done <"$in/routes"
batch=
while read -r dst rest; do
  [[ $dst == unreachable ]] && read -r dst _ <<<"$rest"
  [[ -n $dst && -z ${want[$dst]+x} ]] && batch+="route del $dst proto $proto"$'\n'
done < <(ip -4 route show proto "$proto")
for dst in "${!want[@]}"; do
  if [[ ${want[$dst]} == unreachable ]]; then batch+="route replace unreachable $dst proto $proto"$'\n'
  else batch+="route replace $dst via ${want[$dst]} proto $proto"$'\n'; fi
done
if [[ -n $batch ]]; then
  printf '%s' "$batch" | ip -batch - || fail 'cannot set the routes to the other nodes'"'"' pods'
fi

# kgit's chains, each table in one iptables-restore call: declared chains are rewritten
# whole, kgit's chains that are no longer wanted are flushed and deleted, nothing else is
# touched. With the digests of what the last sync wrote (and its KGIT-STATE chain still
# there), only the chains whose rules changed are written: with nf_tables, restore costs
# about as much per rule kept as per rule written (ADR 0013).
for t in nat filter; do
  [[ -s $in/$t ]] || continue
  if [[ -n $old && -f $n/$t.digests ]] && iptables -w -t "$t" -S KGIT-STATE 2>/dev/null | grep -q "kgit-state $old"; then
    awk -v old="$n/$t.digests" -v new="$in/$t.digests" '
      BEGIN {
        while ((getline l < old) > 0) { split(l, w, " "); od[w[1]] = w[2] }
        while ((getline l < new) > 0) { split(l, w, " "); nd[w[1]] = 1; if (od[w[1]] != w[2]) ch[w[1]] = 1 }
        for (c in od) if (!(c in nd)) stale[c] = 1
      }
      /^\*/ { print; for (c in stale) print ":" c " - [0:0]"; next }
      /^:/ { if (substr($1, 2) in ch) print; next }
      /^-A / { if ($2 in ch) print; next }
      /^COMMIT/ { for (c in stale) print "-X " c }
      { print }' "$in/$t"
  else
    have=$(iptables-save -t "$t" | awk '/^:KGIT-/{printf "%s ", substr($1, 2)}') || fail "cannot read the $t table (iptables-save)"
    awk -v have="$have" '
      BEGIN { n = split(have, h, " ") }
      /^:/ { decl[substr($1, 2)] = 1; print; next }
      !done && !/^\*/ { for (i = 1; i <= n; i++) if (!(h[i] in decl)) print ":" h[i] " - [0:0]"; done = 1 }
      /^COMMIT/ { for (i = 1; i <= n; i++) if (!(h[i] in decl)) print "-X " h[i] }
      { print }' "$in/$t"
  fi | iptables-restore -w --noflush || { rm -f "$n/$t.digests"; fail "iptables-restore of kgit's $t chains failed"; }
  cp "$in/$t.digests" "$n/$t.digests" || fail "cannot keep the digests of kgit's $t chains"
done
# Jumps from the built-in chains: first in their chains, in the listed order. Inserted when
# missing, and moved back up when something was inserted above them: netavark inserts its
# FORWARD jump first when a node's first container starts, and its ACCEPTs (traffic from the
# pod slice, replies) would pass traffic before kgit's NetworkPolicy chains see it (ADR 0014).
# So netavark's jump is made here, after kgit's, where netavark finds it and leaves it.
if [[ -s $in/hooks ]]; then
  if iptables -w -S NETAVARK_FORWARD >/dev/null 2>&1 || iptables -w -N NETAVARK_FORWARD; then
    nv=(-m comment --comment 'netavark firewall plugin rules' -j NETAVARK_FORWARD)
    iptables -w -C FORWARD "${nv[@]}" 2>/dev/null || iptables -w -A FORWARD "${nv[@]}" || fail "cannot place netavark's FORWARD jump after kgit's"
  fi
  mapfile -t hooks <"$in/hooks"
  declare -A targets
  for h in "${hooks[@]}"; do
    IFS=$'\t' read -r -a w <<<"$h"
    targets["${w[0]} ${w[1]}"]+="${w[-1]} "
  done
  for tc in "${!targets[@]}"; do
    read -r t c <<<"$tc"
    # The jump targets of the chain's rules, in order (-S prints the policy first).
    first=$(iptables -w -t "$t" -S "$c" | awk 'NR > 1 { for (i = 1; i < NF; i++) if ($i == "-j") printf "%s ", $(i + 1) }') || fail "cannot read $t $c"
    [[ $first == "${targets[$tc]}"* ]] && continue
    for h in "${hooks[@]}"; do
      IFS=$'\t' read -r -a w <<<"$h"
      [[ "${w[0]} ${w[1]}" == "$tc" ]] || continue
      while iptables -w -t "$t" -D "$c" "${w[@]:2}" 2>/dev/null; do :; done
    done
    for ((i = ${#hooks[@]} - 1; i >= 0; i--)); do
      IFS=$'\t' read -r -a w <<<"${hooks[i]}"
      [[ "${w[0]} ${w[1]}" == "$tc" ]] || continue
      iptables -w -t "$t" -I "$c" 1 "${w[@]:2}" || fail "cannot hook kgit's chains into $t $c"
    done
  done
  cp "$in/hooks" "$n/hooks" || fail "cannot keep the list of kgit's hooks"
fi

# Service names: one hosts file per namespace, bind-mounted as /etc/hosts into its pods.
# Written in place (same inode), so running containers see the new names.
# An ExternalName Service's line is `=HOST<tab>names`: HOST's address as this node resolves it now.
declare -A resolved
for f in "$in"/hosts.*; do
  [[ -f $f ]] || continue
  ns=${f##*/hosts.}
  if grep -q '^=' "$f"; then
    out=
    while IFS= read -r line; do
      if [[ $line == =* ]]; then
        host=${line%%$'\t'*}
        host=${host#=}
        if [[ -z ${resolved[$host]+x} ]]; then
          resolved[$host]=$(getent ahostsv4 "$host" 2>/dev/null | awk 'NR==1{print $1}')
        fi
        if [[ -n ${resolved[$host]} ]]; then line="${resolved[$host]}${line#"=$host"}"; else line="# kgit: $host does not resolve on this node: ${line#*$'\t'}"; fi
      fi
      out+=$line$'\n'
    done <"$f"
    printf '%s' "$out" >"$n/hosts/$ns" || fail "cannot write $n/hosts/$ns"
  else
    cat "$f" >"$n/hosts/$ns" || fail "cannot write $n/hosts/$ns"
  fi
done
printf '%s\n' "$hash" >"$n/state"
rm -rf "$in"
