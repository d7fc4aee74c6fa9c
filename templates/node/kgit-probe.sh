#!/bin/bash
# kgit probe loop: runs one liveness or readiness probe of one container the way the
# kubelet does, until kgit removes its spec file (or a new pod instance replaces it).
# Installed by kgit under the node's dataDir; one process per probe, started detached.
# State, read by every kgit run: "$spec.state" = STATUS SINCE LASTRUN RESTARTS TOKEN MESSAGE
spec=$1
[ -r "$spec" ] || exit 0
# Sets: token kind container infra initial period timeout success failure onfail grace
#       mode host port path scheme hostheader headers cmd (written by kgit, values quoted).
. "$spec"
state=$spec.state
ok=0 bad=0 restarts=0 pid=
if [ "$kind" = live ]; then status=ok msg=''; else status=fail msg='readiness probe has not passed yet'; fi
# The time from bash itself: a probe loop runs every second, and each `date` costs a fork and an exec.
printf -v since '%(%s)T' -1

write() {
  local now
  printf -v now '%(%s)T' -1
  printf '%s %s %s %s %s %s\n' "$status" "$since" "$now" "$restarts" "$token" "${msg//$'\n'/ }" >"$state.tmp" && mv -f "$state.tmp" "$state"
}

mine() {
  local first
  IFS= read -r first <"$spec" 2>/dev/null && [ "$first" = "token=$token" ]
}

netpid() {
  if [ -z "$pid" ] || [ ! -d "/proc/$pid" ]; then pid=$(podman inspect --format '{{.State.Pid}}' "$infra" 2>/dev/null); fi
  [ -n "$pid" ] && [ "$pid" != 0 ]
}

http_get() {
  exec 3<>"/dev/tcp/$1/$2" || exit 1
  printf 'GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: kube-probe/kgit\r\nAccept: */*\r\nConnection: close\r\n' "$3" "$4" >&3
  shift 4
  for h in "$@"; do printf '%s\r\n' "$h" >&3; done
  printf '\r\n' >&3
  read -r _ code _ <&3
  echo "$code"
}

check() {
  local out rc code
  case $mode in
  exec)
    out=$(timeout "$timeout" podman exec "$container" "${cmd[@]}" 2>&1)
    rc=$?
    [ $rc = 0 ] && return 0
    if [ $rc = 124 ]; then msg="command timed out after ${timeout}s"; else msg="command ${cmd[*]} exited with $rc: ${out:0:200}"; fi
    return 1 ;;
  tcp)
    netpid || { msg='the pod network is gone'; return 1; }
    timeout "$timeout" nsenter -t "$pid" -n bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$host" "$port" 2>/dev/null && return 0
    msg="dial tcp $host:$port: connection refused or timed out after ${timeout}s"
    return 1 ;;
  http)
    netpid || { msg='the pod network is gone'; return 1; }
    if [ "$scheme" = HTTPS ]; then
      code=$(timeout "$timeout" nsenter -t "$pid" -n curl -sk -o /dev/null -w '%{http_code}' "https://$host:$port$path" 2>/dev/null)
    else
      code=$(timeout "$timeout" nsenter -t "$pid" -n bash -c "$(declare -f http_get); http_get \"\$@\"" _ "$host" "$port" "$path" "$hostheader" "${headers[@]}" 2>/dev/null)
    fi
    code=${code//[^0-9]/}
    if [ -n "$code" ] && [ "$code" -ge 200 ] && [ "$code" -lt 400 ]; then return 0; fi
    if [ -n "$code" ]; then msg="HTTP probe failed with statuscode: $code"; else msg="Get \"$scheme://$host:$port$path\": no answer within ${timeout}s"; fi
    return 1 ;;
  esac
  msg="unknown probe mode $mode"
  return 1
}

write
sleep "$initial"
while mine; do
  if check; then
    ok=$((ok + 1)) bad=0
    if [ "$status" = fail ] && [ "$ok" -ge "$success" ]; then status=ok since=$(printf '%(%s)T' -1) msg=''; fi
  else
    bad=$((bad + 1)) ok=0
    if [ "$kind" = live ] && [ "$bad" -ge "$failure" ]; then
      restarts=$((restarts + 1)) bad=0
      msg="Liveness probe failed: $msg"
      # Said before the restart, so that kgit does not take the stopped container for drift.
      status=fail since=$(printf '%(%s)T' -1)
      [ "$onfail" = stop ] || { msg="$msg; restarting the container"; write; }
      if [ "$onfail" = stop ]; then podman stop -t "$grace" "$container" >/dev/null 2>&1; else podman restart -t "$grace" "$container" >/dev/null 2>&1; fi
      msg="${msg%; restarting the container}; container ${onfail/%stop/stopped}"
      msg=${msg/%restart/restarted}
      status=ok pid= since=$(printf '%(%s)T' -1)
      write
      sleep "$initial"
      continue
    fi
    [ "$kind" = ready ] && msg="Readiness probe failed: $msg"
    if [ "$status" = ok ] && [ "$bad" -ge "$failure" ]; then status=fail since=$(printf '%(%s)T' -1); fi
  fi
  write
  sleep "$period"
done
# Only the owner of the spec file's state removes it.
mine || { [ -e "$state" ] && read -r _ _ _ _ t _ <"$state" && [ "$t" = "$token" ] && rm -f "$state"; }
exit 0
