#!/usr/bin/env bash
# Installs what kgit's lab, build and tests need on a fresh Debian machine, saying what
# it installs. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# command -> Debian package
declare -A PKG=(
  [sshd]=openssh-server [ssh-keygen]=openssh-client [podman]=podman [runc]=runc
  [iptables]=iptables [ip]=iproute2 [nsenter]=util-linux [git]=git [conmon]=conmon
  [catatonit]=catatonit [netavark]=netavark [openssl]=openssl
  [gpg]=gpg [gpg-agent]=gpg-agent [gpgconf]=gpgconf
)
have() {
  case "$1" in
    sshd) [ -x /usr/sbin/sshd ] ;;
    catatonit) [ -x /usr/libexec/podman/catatonit ] || command -v catatonit >/dev/null ;;
    netavark) [ -x /usr/lib/podman/netavark ] || [ -x /usr/libexec/podman/netavark ] || command -v netavark >/dev/null ;;
    *) command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ] ;;
  esac
}
missing=()
for cmd in "${!PKG[@]}"; do have "$cmd" || missing+=("${PKG[$cmd]}"); done
# The lab image is built from the static busybox.
if ! { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; }; then missing+=(busybox-static); fi

if [ ${#missing[@]} -gt 0 ]; then
  pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
  if [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then
    echo "kgit: installing Debian packages: $pkgs"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $pkgs
  else
    echo "kgit: missing packages: $pkgs" >&2
    echo "install them with: apt-get install -y $pkgs" >&2
    exit 1
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "kgit: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi
echo "kgit: building"
npm run --silent build
