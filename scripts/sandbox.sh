#!/usr/bin/env bash
# sandbox.sh: a local stand-in for a fresh DigitalOcean droplet (Debian 12 bookworm).
#
# Builds a debootstrapped bookworm root (base cached as a tarball outside the repo) and runs
# it in private mount, PID, UTS and IPC namespaces that share the host's network, with only
# sshd inside under tini as PID 1. A Pulumi program then treats it like a new droplet: root
# over SSH on 127.0.0.1:$SANDBOX_SSH_PORT with a generated ED25519 key and a pinned host key.
# Whatever it installs (nginx, supervisor, PostgreSQL...) lives in the sandbox's own /etc,
# /srv, /var, /run and /tmp. Packages do not start services on install (policy-rc.d exits
# 101); `service NAME start` does. A stop is a power-off: nothing runs after the next start.
#
# Usage: scripts/sandbox.sh create|start|stop|destroy|status|env|ssh [command...]
# Expects: Linux, root, a Debian-family host with apt (debootstrap, zstd and openssh-client
#   are installed if missing), the host's Debian mirror reachable.
# Env: SANDBOX_DIR (default ~/.cache/django-zero-downtime/sandboxes/<port>: outside the checkout,
#   because `pulumi up` walks the whole project directory for plugins, a root file system too),
#   SANDBOX_SSH_PORT (default 2222),
#   SANDBOX_MIRROR (default: the host's apt mirror), XDG_CACHE_HOME (base tarball cache).
# Exit codes: 0 ok, 1 error, 2 usage; status: 3 stopped, 4 absent (env and ssh too).
set -euo pipefail

SUITE=bookworm
PACKAGES=openssh-server,python3,ca-certificates,curl,procps,sudo,tini
PORT=${SANDBOX_SSH_PORT:-2222}
CACHE_BASE=${XDG_CACHE_HOME:-$HOME/.cache}/django-zero-downtime
CACHE=$CACHE_BASE/sandbox
DIR=$(realpath -m "${SANDBOX_DIR:-$CACHE_BASE/sandboxes/$PORT}")
ROOT=$DIR/root
KEY=$DIR/id_ed25519
PIDFILE=$DIR/sandbox.pid
TAR=(tar --numeric-owner --xattrs --xattrs-include='*')
CLEAN=()
trap 'rm -rf --one-file-system "${CLEAN[@]}"' EXIT

log() { echo "sandbox: $*" >&2; }
die() { log "error: $*"; exit 1; }

need() { # need COMMAND PACKAGE: apt-get install PACKAGE when COMMAND is missing
  command -v "$1" >/dev/null && return 0
  log "installing $2"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -q "$2" || { apt-get update -q && apt-get install -y -q "$2"; }; } >&2 ||
    die "could not install $2"
}

host_mirror() { # host_mirror SUITE: the URI this host's apt sources use for SUITE
  local f files=(/dev/null) # never stdin
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    if [[ -f "$f" ]]; then files+=("$f"); fi
  done
  awk -v s="$1" '
    function flush() { if (t && u && m) { print u; done = 1; exit } t = u = m = "" }
    FNR == 1 || !NF { flush() }
    $1 == "deb" { sub(/ \[[^]]*\]/, ""); if ($3 == s) { print $2; done = 1; exit } }
    $1 == "Types:" { t = / deb( |$)/ }
    $1 == "URIs:" { u = $2 }
    $1 == "Suites:" { for (i = 2; i <= NF; i++) if ($i == s) m = 1 }
    END { if (!done) flush() }' "${files[@]}"
}
MIRROR=${SANDBOX_MIRROR:-$(host_mirror "$SUITE")}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY=$(host_mirror "$SUITE-security")
SECURITY=${SECURITY:-http://deb.debian.org/debian-security}

pid_of() { # prints the pid of this sandbox's unshare process, fails if it is not running
  local pid cmd
  pid=$(cat "$PIDFILE" 2>/dev/null) && [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  [[ "$cmd" == unshare\ * && "$cmd" == *" $ROOT " ]] && echo "$pid"
}

inside_pids() { # the unshare process and every process whose root is the sandbox
  pid_of || true
  find /proc -mindepth 2 -maxdepth 2 -name root -lname "$ROOT" 2>/dev/null | cut -d/ -f3
}

port() { # the port sshd in the root is configured for (else the requested one)
  awk '$1 == "Port" { print $2 }' "$ROOT/etc/ssh/sshd_config.d/sandbox.conf" 2>/dev/null || echo "$PORT"
}

sandbox_ssh() {
  ssh -F /dev/null -i "$KEY" -p "$(port)" -o IdentitiesOnly=yes -o BatchMode=yes -o LogLevel=ERROR \
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$DIR/known_hosts" -o HostKeyAlias=sandbox \
    root@127.0.0.1 "$@"
}

write_sshd_config() { # write_sshd_config ROOT
  printf '%s\n' '# written by scripts/sandbox.sh' 'ListenAddress 127.0.0.1' "Port $PORT" \
    'HostKey /etc/ssh/ssh_host_ed25519_key' 'PermitRootLogin prohibit-password' \
    'PasswordAuthentication no' 'UseDNS no' >"$1/etc/ssh/sshd_config.d/sandbox.conf"
}

build_base() { # build_base DIR TARBALL: debootstrap into DIR, then cache it as TARBALL
  local tmp
  need debootstrap debootstrap
  log "debootstrapping $SUITE from $MIRROR (cold create; log: $DIR/debootstrap.log)"
  # In its own mount namespace, so debootstrap's /proc, /sys and /dev mounts never reach the host.
  unshare --mount --propagation private debootstrap --variant=minbase --include="$PACKAGES" \
    "$SUITE" "$1" "$MIRROR" >"$DIR/debootstrap.log" 2>&1 ||
    { tail -n 20 "$DIR/debootstrap.log" >&2; die "debootstrap failed (log: $DIR/debootstrap.log)"; }
  tmp=$(mktemp "$2.XXXXXX") && CLEAN+=("$tmp")
  "${TAR[@]}" -C "$1" -cf - . | zstd -q -T0 >"$tmp"
  mv "$tmp" "$2"
}

configure() { # configure ROOT: the host-specific part: DNS, CAs, apt, pip, hostname, keys, sshd
  local r=$1
  chmod 755 "$r"
  rm -f "$r/etc/resolv.conf" "$r/etc/apt/sources.list" "$r"/etc/ssh/ssh_host_* "$KEY" "$KEY.pub"
  cp -L /etc/resolv.conf "$r/etc/resolv.conf"
  if [[ -d /usr/local/share/ca-certificates ]]; then
    cp -a /usr/local/share/ca-certificates/. "$r/usr/local/share/ca-certificates/"
  fi
  chroot "$r" update-ca-certificates >/dev/null 2>&1 || die "update-ca-certificates failed in $r"
  printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n\n' \
    "$MIRROR" "$SUITE $SUITE-updates" /usr/share/keyrings/debian-archive-keyring.gpg \
    "$SECURITY" "$SUITE-security" /usr/share/keyrings/debian-archive-keyring.gpg \
    >"$r/etc/apt/sources.list.d/debian.sources"
  # The same freshness checks as the host's apt (a snapshot mirror needs Check-Valid-Until off).
  apt-config dump | grep -E '^Acquire::Check-(Valid-Until|Date) ' >"$r/etc/apt/apt.conf.d/99sandbox" || true
  printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' >"$r/etc/pip.conf"
  printf '#!/bin/sh\n# sandbox: packages never start services on install; service NAME start does.\nexit 101\n' \
    >"$r/usr/sbin/policy-rc.d"
  chmod 755 "$r/usr/sbin/policy-rc.d"
  echo sandbox >"$r/etc/hostname"
  printf '127.0.0.1\tlocalhost\n127.0.1.1\tsandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$r/etc/hosts"
  echo LANG=C.UTF-8 >"$r/etc/default/locale" # no other locale is installed: ignore the client's
  sed -i 's/^AcceptEnv/#&/' "$r/etc/ssh/sshd_config"
  chroot "$r" ssh-keygen -q -t ed25519 -N '' -C sandbox-host -f /etc/ssh/ssh_host_ed25519_key
  ssh-keygen -q -t ed25519 -N '' -C sandbox-client -f "$KEY"
  install -d -m 700 "$r/root/.ssh"
  install -m 600 "$KEY.pub" "$r/root/.ssh/authorized_keys"
  cut -d' ' -f1,2 "$r/etc/ssh/ssh_host_ed25519_key.pub" >"$DIR/host_key.pub"
  echo "sandbox $(cat "$DIR/host_key.pub")" >"$DIR/known_hosts"
  write_sshd_config "$r"
}

create() {
  local new=$DIR/root.new tarball
  [[ -d "$ROOT" ]] && return 0
  need zstd zstd
  need ssh openssh-client
  tarball=$CACHE/$SUITE-$(dpkg --print-architecture)-minbase-$(sha256sum <<<"$PACKAGES" | cut -c1-12).tar.zst
  mkdir -p "$DIR"
  rm -rf --one-file-system "$new" && CLEAN+=("$new")
  if [[ -f "$tarball" ]]; then
    log "extracting $tarball"
    mkdir "$new"
    zstd -dcq "$tarball" | "${TAR[@]}" -C "$new" -xf -
  else
    build_base "$new" "$tarball"
  fi
  configure "$new"
  mv "$new" "$ROOT"
  log "created $ROOT"
}

# Runs as PID 1 of the new PID namespace, in the new mount namespace; $1 is the root.
# shellcheck disable=SC2016 # expanded by the inner bash
BOOT='set -eu; r=$1
mount --bind "$r" "$r" # so that / is a mount point inside (df, findmnt)
echo sandbox >/proc/sys/kernel/hostname
mount -t proc proc "$r/proc"
mount -t sysfs -o ro sysfs "$r/sys"
mount -t tmpfs -o mode=755,nosuid dev "$r/dev"
for n in null zero full random urandom tty; do touch "$r/dev/$n"; mount --bind "/dev/$n" "$r/dev/$n"; done
mkdir "$r/dev/pts" "$r/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$r/dev/pts"
mount -t tmpfs -o mode=1777,nosuid,nodev shm "$r/dev/shm"
ln -s pts/ptmx "$r/dev/ptmx"; ln -s /proc/self/fd "$r/dev/fd"
ln -s /proc/self/fd/0 "$r/dev/stdin"; ln -s /proc/self/fd/1 "$r/dev/stdout"; ln -s /proc/self/fd/2 "$r/dev/stderr"
mount -t tmpfs -o mode=755,nosuid,nodev run "$r/run"
mkdir -m 755 "$r/run/sshd"; mkdir -m 1777 "$r/run/lock"
exec chroot "$r" /usr/bin/tini -- /usr/sbin/sshd -D -e'

wait_ssh() {
  local i
  for ((i = 0; i < 60; i++)); do
    sandbox_ssh -o ConnectTimeout=2 true 2>/dev/null && return 0
    pid_of >/dev/null || { tail -n 20 "$DIR/sandbox.log" >&2; die "sandbox exited while starting (log: $DIR/sandbox.log)"; }
    sleep 0.5
  done
  die "sshd did not answer on 127.0.0.1:$(port) within 30 s (log: $DIR/sandbox.log)"
}

# Like a droplet's boot: start the services enabled for runlevel 2 (the S
# links that packages and `update-rc.d NAME enable` make), in their order.
# sshd already runs under tini. A service that fails to start is reported.
# shellcheck disable=SC2016 # expanded inside the sandbox
BOOT_SERVICES='for s in /etc/rc2.d/S*; do
  [ -x "$s" ] || continue
  name=${s##*/S[0-9][0-9]}
  case $name in ssh|rc.local|rmnologin|bootlogs) continue ;; esac
  "$s" start >/dev/null 2>&1 || echo "sandbox boot: $name did not start" >&2
done'

start() {
  local booted=0
  create
  if ! pid_of >/dev/null; then
    booted=1
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && die "127.0.0.1:$PORT is in use (set SANDBOX_SSH_PORT)"
    write_sshd_config "$ROOT"
    echo "--- start $(date -Is)" >>"$DIR/sandbox.log"
    setsid unshare --mount --pid --uts --ipc --fork --kill-child --propagation private \
      /bin/bash -c "$BOOT" sandbox-boot "$ROOT" </dev/null >>"$DIR/sandbox.log" 2>&1 9>&- &
    echo "$!" >"$PIDFILE"
  elif [[ "$(port)" != "$PORT" ]]; then
    die "already running on port $(port); stop it first to move it to $PORT"
  fi
  wait_ssh
  if ((booted)); then sandbox_ssh "$BOOT_SERVICES"; fi
  log "running: ssh root@127.0.0.1 -p $(port) (scripts/sandbox.sh ssh)"
}

stop() {
  local pid pids=() t0=$SECONDS
  # unshare ignores SIGTERM while it waits: TERM its child (tini, PID 1 inside), whose exit
  # makes the kernel kill everything else in the PID namespace; KILL what is left after 3 s.
  if pid=$(pid_of); then
    read -r -a pids <"/proc/$pid/task/$pid/children" || true # no newline there: read "fails"
    kill -TERM "${pids[@]}" 2>/dev/null || true
  fi
  while mapfile -t pids < <(inside_pids) && ((${#pids[@]})); do
    ((SECONDS - t0 < 10)) || die "processes still running in the sandbox: ${pids[*]}"
    if ((SECONDS - t0 >= 3)); then kill -KILL "${pids[@]}" 2>/dev/null || true; fi
    sleep 0.2
  done
  rm -f "$PIDFILE"
  if findmnt -rn -o TARGET | grep -qF "$DIR"; then die "mounts remain under $DIR"; fi
}

destroy() {
  stop
  [[ -e "$DIR" ]] || return 0
  rm -rf --one-file-system "$DIR"
  log "destroyed $DIR (base cache kept in $CACHE)"
}

status() {
  if pid_of >/dev/null; then echo running; elif [[ -d "$ROOT" ]]; then echo stopped; return 3; else
    echo absent; return 4; fi
}

main() {
  local verb=${1:-} i
  [[ "$verb" == @(create|start|stop|destroy|status|env|ssh) ]] ||
    { echo "usage: $0 create|start|stop|destroy|status|env|ssh [command...]" >&2; exit 2; }
  shift
  [[ "$DIR" != / ]] || die "SANDBOX_DIR must not be /"
  if [[ "$verb" == @(create|start|stop|destroy) ]]; then
    ((EUID == 0)) || die "$verb needs root"
    mkdir -p "$CACHE"
    exec 9>"$CACHE/.lock" # one create/start/stop/destroy at a time, across clones too
    flock -w 900 9 || die "timed out waiting for another sandbox.sh ($CACHE/.lock)"
  fi
  case "$verb" in
    status) status ;;
    env)
      [[ -f "$DIR/host_key.pub" ]] || { log "absent: run scripts/sandbox.sh create"; exit 4; }
      printf "SANDBOX_HOST=127.0.0.1\nSANDBOX_SSH_PORT=%s\nSANDBOX_USER=root\nSANDBOX_KEY='%s'\nSANDBOX_HOST_KEY='%s'\n" \
        "$(port)" "$KEY" "$(cat "$DIR/host_key.pub")" ;;
    ssh)
      status >/dev/null || { i=$?; log "not running: run scripts/sandbox.sh start"; exit "$i"; }
      sandbox_ssh "$@" ;;
    *) "$verb" ;;
  esac
}

main "$@"
