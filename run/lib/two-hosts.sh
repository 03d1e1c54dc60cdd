#!/usr/bin/env bash
# Two private libvirt "hosts" on this machine, for live-migration tests and benchmarks.
#
#   host A: network namespace pvA, 10.77.0.1/24 on veth pvA-veth, libvirtd on tcp://10.77.0.1:16509
#   host B: network namespace pvB, 10.77.0.2/24 on veth pvB-veth, libvirtd on tcp://10.77.0.2:16509
#
# Each host is a network + mount + UTS namespace with its own hostname (pvhostA/pvhostB), its own
# /etc/libvirt, /var/lib/libvirt, /var/cache/libvirt, /var/log/libvirt and /run/libvirt (bind mounts of
# $LQ_TWO_HOSTS/host{A,B}/...), its own host_uuid and its own virtlogd + libvirtd. libvirtd listens on TCP
# (auth none) ONLY on the namespace's veth address, which exists nowhere else: reach it from inside a
# namespace, e.g. `ip netns exec pvA virsh -c qemu+tcp://10.77.0.2/system list`. The machine's main
# libvirtd (qemu:///system) is never touched: its sockets live in the real /run/libvirt, which the
# namespaced daemons do not see, and nothing here stops a process that is not ours.
#
# What a guest on host X sees as /var/lib/libvirt/images is $LQ_TWO_HOSTS/hostX/lib/images from outside,
# and its serial log /var/log/libvirt/qemu/<name>-serial.log is $LQ_TWO_HOSTS/hostX/log/qemu/... .
#
# Native migration TLS: every `up` makes a private CA ($LQ_TWO_HOSTS/tls/ca, key 0600, never leaves this
# machine) and for each host a QEMU x509 directory $LQ_TWO_HOSTS/hostX/tls (ca-cert.pem, server-cert.pem,
# server-key.pem, client-cert.pem, client-key.pem; keys 0600 owned by the QEMU user), whose certificates name
# the host's address (IP SAN 10.77.0.x, the address QEMU's migration stream uses) and hostname; qemu.conf has
# migrate_tls_x509_cert_dir pointing there and migrate_tls_x509_verify = 1 (each end checks the other's
# certificate). It also makes $LQ_TWO_HOSTS/tls/foreign-hostB: a complete set for host B signed by a second CA
# that neither host trusts, for the test that a migration to an untrusted host fails. `down` deletes all of it.
#
# usage: two-hosts.sh up | down | status | acquire PID | release PID | exec A|B CMD...
#   up     idempotent: nothing to do when both daemons answer; otherwise clears what a crashed run left
#          (down) and builds both hosts from scratch; waits until both answer.
#   down   destroys every domain on both hosts, stops their qemu, libvirtd and virtlogd by PID (only
#          processes whose network namespace is pvA/pvB), deletes the namespaces and the veth pair.
#          Safe to run when nothing is up.
#   exec   runs CMD inside host X's network namespace (e.g. the migration test JVM).
# Environment: LQ_TWO_HOSTS (work directory, default /var/tmp/limiquantix-two-hosts). Needs root, iproute2, util-linux,
# openssl.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# One fixed place for every checkout on this machine (the namespaces pvA/pvB are machine-wide too).
export LQ_TWO_HOSTS=${LQ_TWO_HOSTS:-/var/tmp/limiquantix-two-hosts}
declare -A IP=([A]=10.77.0.1 [B]=10.77.0.2)
# the user QEMU runs as (Debian's libvirt: libvirt-qemu); it reads the migration TLS keys itself
QEMU_USER=libvirt-qemu
id "$QEMU_USER" >/dev/null 2>&1 || QEMU_USER=root
declare -A UUID=([A]=7e57a000-0000-4000-8000-00000000000a [B]=7e57b000-0000-4000-8000-00000000000b)

say() { printf '[two-hosts %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Runs inside `ip netns exec pvX unshare --mount --uts --propagation private`: private dirs, then daemons.
ns_init() {
  local H=$1 D=$LQ_TWO_HOSTS/host$1
  hostname "pvhost$H"
  mount --bind "$D/etc" /etc/libvirt
  mount --bind "$D/lib" /var/lib/libvirt
  mount --bind "$D/cache" /var/cache/libvirt
  mount --bind "$D/log" /var/log/libvirt
  mount --bind "$D/run" /run/libvirt
  virtlogd -d -p "$D/virtlogd.pid" || exit 1
  libvirtd -d --listen -p "$D/libvirtd.pid" || exit 1
}

answers() {  # answers A|B
  ip netns exec "pv$1" timeout 10 virsh -c "qemu+tcp://${IP[$1]}/system" version >/dev/null 2>&1
}

# netns_of PID: the inode of its network namespace ("" when gone)
netns_of() { readlink "/proc/$1/ns/net" 2>/dev/null | tr -dc 0-9; }
ns_inode() { [ -e "/run/netns/$1" ] && stat -L -c %i "/run/netns/$1" 2>/dev/null; }

# kill_ours HOST PID NAME: stops PID only when it is NAME and lives in that host's network namespace.
kill_ours() {
  local H=$1 pid=$2 name=$3 want comm i
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 0
  comm=$(cat "/proc/$pid/comm" 2>/dev/null)
  want=$(ns_inode "pv$H")
  case "$comm" in "$name"*) ;; *) say "host$H: pid $pid is '$comm', not $name: left alone"; return 0 ;; esac
  if [ -n "$want" ] && [ "$(netns_of "$pid")" != "$want" ]; then
    say "host$H: pid $pid ($comm) is not in netns pv$H: left alone"; return 0
  fi
  kill "$pid" 2>/dev/null && say "host$H: stopped $comm (pid $pid)"
  for i in $(seq 1 50); do [ -d "/proc/$pid" ] || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null && say "host$H: killed $comm (pid $pid) after 5 s"
}

# --- migration TLS --------------------------------------------------------------------------------------
# new_ca DIR SUBJECT-CN: a self-signed CA (RSA 2048, valid 7 days: one harness run) in DIR (0700)
new_ca() {
  local dir=$1 cn=$2
  mkdir -p "$dir" && chmod 0700 "$dir"
  openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 7 -subj "/O=LimiQuantix test/CN=$cn" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$dir/ca-key.pem" -out "$dir/ca-cert.pem" 2>/dev/null || return 1
  chmod 0600 "$dir/ca-key.pem"
}

# issue CA-DIR OUT-DIR ROLE(server|client) HOST: OUT-DIR/ROLE-{cert,key}.pem for host H, signed by CA-DIR's CA.
# QEMU (qcrypto_tls_creds_x509) checks key usage and purpose: digitalSignature + keyEncipherment, serverAuth
# for the listening end, clientAuth for the connecting end; the names are the host's address and hostname.
issue() {
  local ca=$1 out=$2 role=$3 H=$4 ext purpose
  [ "$role" = server ] && purpose=serverAuth || purpose=clientAuth
  ext=$(mktemp) || return 1
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=$purpose" "subjectAltName=IP:${IP[$H]},DNS:pvhost$H" > "$ext"
  (umask 077 && openssl req -new -newkey rsa:2048 -nodes -sha256 -subj "/O=LimiQuantix test/CN=pvhost$H" \
    -keyout "$out/$role-key.pem" -out "$out/$role.csr" 2>/dev/null) \
    && openssl x509 -req -sha256 -days 7 -in "$out/$role.csr" -CA "$ca/ca-cert.pem" -CAkey "$ca/ca-key.pem" \
      -set_serial "0x$(openssl rand -hex 8)" -extfile "$ext" -out "$out/$role-cert.pem" 2>/dev/null
  local rc=$?
  rm -f "$ext" "$out/$role.csr"
  return $rc
}

# host_tls_dir CA-DIR OUT-DIR HOST: what QEMU's tls-creds-x509 object reads, for both ends of a migration
host_tls_dir() {
  local ca=$1 out=$2 H=$3
  mkdir -p "$out" || return 1
  cp "$ca/ca-cert.pem" "$out/ca-cert.pem"
  issue "$ca" "$out" server "$H" && issue "$ca" "$out" client "$H" || return 1
  # QEMU runs as the QEMU user and opens the keys itself: its keys, 0600; the directory only for it and root
  chmod 0644 "$out"/*-cert.pem && chmod 0600 "$out"/*-key.pem
  chown "$QEMU_USER:$QEMU_USER" "$out"/*-key.pem "$out" && chmod 0750 "$out"
}

# make_cas: a fresh CA for this run (each host's directory is made with the host), and host B's set from a
# second CA that nobody trusts
make_cas() {
  local T=$LQ_TWO_HOSTS/tls
  rm -rf "$T"
  new_ca "$T/ca" "two-host test CA $(date +%s)" || return 1
  new_ca "$T/foreign-ca" "untrusted CA $(date +%s)" || return 1
  host_tls_dir "$T/foreign-ca" "$T/foreign-hostB" B || return 1
  say "migration TLS: a new CA, SHA-256 $(openssl x509 -noout -fingerprint -sha256 -in "$T/ca/ca-cert.pem" | cut -d= -f2 | cut -c1-23)…"
}

# true when both hosts were built with migration TLS (an older harness made hosts without it)
tls_ready() {
  local H f
  for H in A B; do
    for f in ca-cert server-cert server-key client-cert client-key; do
      [ -s "$LQ_TWO_HOSTS/host$H/tls/$f.pem" ] || return 1
    done
    grep -q '^migrate_tls_x509_cert_dir' "$LQ_TWO_HOSTS/host$H/etc/qemu.conf" 2>/dev/null || return 1
  done
}

# the number of registered users (acquire) other than $1 whose process still lives
other_users() {
  local u n=0
  for u in "$LQ_TWO_HOSTS"/users/*; do
    [ -e "$u" ] || continue
    [ "$(basename "$u")" = "${1:-}" ] && continue
    [ -d "/proc/$(basename "$u")" ] && n=$((n+1))
  done
  echo $n
}

down() {
  local H D d pid ino p
  for H in A B; do
    D=$LQ_TWO_HOSTS/host$H
    if [ -e "/run/netns/pv$H" ] && answers "$H"; then
      for d in $(ip netns exec "pv$H" virsh -c "qemu+tcp://${IP[$H]}/system" list --name 2>/dev/null); do
        ip netns exec "pv$H" virsh -c "qemu+tcp://${IP[$H]}/system" destroy "$d" >/dev/null 2>&1 && say "host$H: destroyed $d"
      done
    fi
    kill_ours "$H" "$(cat "$D/libvirtd.pid" 2>/dev/null)" libvirtd
    kill_ours "$H" "$(cat "$D/virtlogd.pid" 2>/dev/null)" virtlogd
    # whatever QEMU is still in the namespace (a crashed daemon leaves its guests running)
    ino=$(ns_inode "pv$H")
    if [ -n "$ino" ]; then
      for p in $(ip netns pids "pv$H" 2>/dev/null); do
        case "$(cat "/proc/$p/comm" 2>/dev/null)" in
          qemu-system-*|libvirtd|virtlogd) kill_ours "$H" "$p" "$(cat "/proc/$p/comm")" ;;
        esac
      done
    fi
    rm -f "$D/libvirtd.pid" "$D/virtlogd.pid"
  done
  ip link del pvA-veth 2>/dev/null
  for H in A B; do ip netns del "pv$H" 2>/dev/null; rm -rf "$LQ_TWO_HOSTS/host$H/tls"; done
  rm -rf "$LQ_TWO_HOSTS/tls"
  return 0
}

# true when host H's libvirtd from the pid file still runs in netns pvH (a slow answer is not a dead host)
alive() {
  local pid ino
  pid=$(cat "$LQ_TWO_HOSTS/host$1/libvirtd.pid" 2>/dev/null) || return 1
  ino=$(ns_inode "pv$1")
  [ -n "$pid" ] && [ -n "$ino" ] && [ -d "/proc/$pid" ] && [ "$(netns_of "$pid")" = "$ino" ]
}

up() {
  local H D i
  if answers A 2>/dev/null && answers B 2>/dev/null; then
    if tls_ready; then say "both hosts already answer"; return 0; fi
    # hosts an older harness built (no migration TLS): rebuild them unless another run is using them
    if [ "$(other_users "${1:-}")" -gt 0 ]; then
      say "both hosts answer but have no migration TLS certificates (an older harness made them) and another run uses them: left as they are; TLS tests will fail"
      return 0
    fi
    say "both hosts answer but have no migration TLS certificates: rebuilding them"
  fi
  # Both daemons alive but slow (a loaded machine): wait for them rather than tear down hosts in use.
  if alive A && alive B; then
    for i in $(seq 1 12); do
      answers A && answers B && { say "both hosts answer (after a wait)"; return 0; }
      sleep 5
    done
    say "both daemons run but do not answer after a minute: rebuilding the hosts"
  fi
  down
  set -e
  ip netns add pvA
  ip netns add pvB
  make_cas
  ip link add pvA-veth type veth peer name pvB-veth
  ip link set pvA-veth netns pvA
  ip link set pvB-veth netns pvB
  for H in A B; do
    ip -n "pv$H" link set lo up
    ip -n "pv$H" addr add "${IP[$H]}/24" dev "pv$H-veth"
    ip -n "pv$H" link set "pv$H-veth" up
    D=$LQ_TWO_HOSTS/host$H
    rm -rf "$D"
    mkdir -p "$D"/{etc,lib/images,lib/qemu,cache,log/qemu,run}
    cp -a /etc/libvirt/. "$D/etc/"
    # none of the real host's domains, networks, autostart links or TLS settings
    rm -rf "$D"/etc/qemu/*.xml "$D/etc/qemu/autostart" "$D/etc/qemu/networks/autostart"
    chown libvirt-qemu:libvirt-qemu "$D/lib/qemu" 2>/dev/null || true
    host_tls_dir "$LQ_TWO_HOSTS/tls/ca" "$D/tls" "$H"
    cat >> "$D/etc/libvirtd.conf" <<CONF
# --- LimiQuantix two-host test harness, host $H ---
listen_tls = 0
listen_tcp = 1
listen_addr = "${IP[$H]}"
auth_tcp = "none"
host_uuid = "${UUID[$H]}"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
CONF
    cat >> "$D/etc/qemu.conf" <<CONF
# --- LimiQuantix two-host test harness, host $H ---
# no cgroups: both hosts would otherwise share /sys/fs/cgroup/.../machine/qemu-N-<name>.libvirt-qemu
cgroup_controllers = [ ]
migration_address = "${IP[$H]}"
migration_host = "${IP[$H]}"
# native TLS of the migration stream (VIR_MIGRATE_TLS): this host's certificates, peers must present theirs
migrate_tls_x509_cert_dir = "$D/tls"
migrate_tls_x509_verify = 1
CONF
    # 9>&-: the daemons must not inherit the acquire/release lock
    ip netns exec "pv$H" unshare --mount --uts --propagation private -- "$HERE/two-hosts.sh" ns-init "$H" 9>&-
  done
  set +e
  for H in A B; do
    for i in $(seq 1 100); do answers "$H" && break; sleep 0.3; done
    answers "$H" || { say "host$H: libvirtd does not answer on ${IP[$H]} (log: $LQ_TWO_HOSTS/host$H/log/libvirtd.log)"; return 1; }
  done
  say "up: host A libvirtd pid $(cat "$LQ_TWO_HOSTS/hostA/libvirtd.pid"), host B libvirtd pid $(cat "$LQ_TWO_HOSTS/hostB/libvirtd.pid") (work dir $LQ_TWO_HOSTS)"
}

status() {
  local H D
  for H in A B; do
    D=$LQ_TWO_HOSTS/host$H
    printf 'host %s: libvirtd pid %s, virtlogd pid %s, answers: %s\n' "$H" "$(cat "$D/libvirtd.pid" 2>/dev/null)" \
      "$(cat "$D/virtlogd.pid" 2>/dev/null)" "$(answers "$H" && echo yes || echo no)"
    [ -e "/run/netns/pv$H" ] && ip netns exec "pv$H" virsh -c "qemu+tcp://${IP[$H]}/system" list --all 2>/dev/null
  done
}

# Shared use: several builds or a benchmark may use the hosts at once. `acquire PID` (under a lock) brings
# them up and registers PID as a user; `release PID` unregisters it and takes the hosts down when no live
# user is left (LQ_TWO_HOSTS_KEEP=1 keeps them up).
acquire() {
  mkdir -p "$LQ_TWO_HOSTS/users"
  exec 9>"$LQ_TWO_HOSTS/lock"
  flock 9
  up "$1" || return 1
  touch "$LQ_TWO_HOSTS/users/$1"
}

release() {
  local u others=0
  mkdir -p "$LQ_TWO_HOSTS/users"
  exec 9>"$LQ_TWO_HOSTS/lock"
  flock 9
  rm -f "$LQ_TWO_HOSTS/users/$1"
  for u in "$LQ_TWO_HOSTS"/users/*; do
    [ -e "$u" ] || continue
    if [ -d "/proc/$(basename "$u")" ]; then others=$((others+1)); else rm -f "$u"; fi
  done
  if [ "$others" -gt 0 ]; then say "still used by $others other run(s): left up"
  elif [ "${LQ_TWO_HOSTS_KEEP:-0}" = 1 ]; then say "LQ_TWO_HOSTS_KEEP=1: left up"
  else down; fi
}

case "${1:-}" in
  up) up "" ;;
  down) down ;;
  acquire) acquire "${2:?acquire needs the PID of the user}" ;;
  release) release "${2:?release needs the PID of the user}" ;;
  status) status ;;
  ns-init) ns_init "$2" ;;
  exec) H=$2; shift 2; exec ip netns exec "pv$H" "$@" ;;
  *) echo "usage: $0 up|down|status|acquire PID|release PID|exec A|B CMD..." >&2; exit 2 ;;
esac
