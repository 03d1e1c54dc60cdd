#!/usr/bin/env bash
# A private libvirtd (QEMU driver) that a test may kill and restart without touching the machine's main
# daemon. It runs in its own mount namespace (held open by a 'sleep' process) in which /etc/libvirt,
# /var/lib/libvirt, /var/cache/libvirt, /var/log/libvirt and /run/libvirt are bind mounts of folders under
# DIR; its Unix socket is DIR/sock/libvirt-sock, outside the namespace's private mounts, so a client on the
# host connects with  qemu+unix:///system?socket=DIR/sock/libvirt-sock .  No virtlogd (stdio_handler=file),
# no cgroups (names would clash with the main daemon's), no networks or domains copied from the host.
# usage: private-libvirtd.sh up DIR | kill DIR | start DIR | down DIR     (root; stops processes by PID only)
set -euo pipefail
CMD=${1:?usage: $0 up|kill|start|down DIR}
DIR=${2:?usage: $0 up|kill|start|down DIR}

start_daemon() {
  local ns; ns=$(cat "$DIR/ns.pid")
  rm -f "$DIR/libvirtd.pid"
  nsenter -t "$ns" -m -- libvirtd -d -f "$DIR/etc/libvirtd.conf" -p "$DIR/libvirtd.pid"
  for _ in $(seq 1 300); do
    [ -S "$DIR/sock/libvirt-sock" ] && [ -s "$DIR/libvirtd.pid" ] && return 0
    sleep 0.1
  done
  echo "private-libvirtd: libvirtd did not come up; its log:" >&2
  tail -20 "$DIR/log/libvirtd.log" >&2 || true
  exit 1
}

kill_daemon() {
  local pid; pid=$(cat "$DIR/libvirtd.pid" 2>/dev/null || true)
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  rm -f "$DIR/libvirtd.pid" "$DIR/sock/libvirt-sock"
}

case "$CMD" in
  up)
    mkdir -p "$DIR"/{etc,lib/images,lib/qemu,cache,log/qemu,run,sock}
    cp -a /etc/libvirt/. "$DIR/etc/"
    rm -f "$DIR"/etc/qemu/*.xml; rm -rf "$DIR"/etc/qemu/autostart "$DIR"/etc/qemu/networks "$DIR"/etc/storage "$DIR"/etc/secrets
    mkdir -p "$DIR/etc/qemu/networks"
    # QEMU's capability cache of the main daemon: saves the private one a probe of QEMU at every start
    cp -a /var/cache/libvirt/. "$DIR/cache/" 2>/dev/null || true
    chown libvirt-qemu:libvirt-qemu "$DIR/lib/qemu" 2>/dev/null || true
    cat >> "$DIR/etc/libvirtd.conf" <<CONF
# --- private libvirtd (run/lib/private-libvirtd.sh) ---
unix_sock_dir = "$DIR/sock"
unix_sock_group = "root"
unix_sock_rw_perms = "0700"
auth_unix_rw = "none"
listen_tls = 0
listen_tcp = 0
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
CONF
    cat >> "$DIR/etc/qemu.conf" <<CONF
# --- private libvirtd (run/lib/private-libvirtd.sh) ---
cgroup_controllers = [ ]
stdio_handler = "file"
CONF
    unshare --mount --propagation private -- sh -c '
      D=$1
      mount --bind "$D/etc" /etc/libvirt
      mount --bind "$D/lib" /var/lib/libvirt
      mount --bind "$D/cache" /var/cache/libvirt
      mount --bind "$D/log" /var/log/libvirt
      mount --bind "$D/run" /run/libvirt
      echo $$ > "$D/ns.pid"
      exec sleep infinity' sh "$DIR" </dev/null >/dev/null 2>&1 &
    for _ in $(seq 1 50); do [ -s "$DIR/ns.pid" ] && break; sleep 0.1; done
    [ -s "$DIR/ns.pid" ] || { echo "private-libvirtd: namespace did not start" >&2; exit 1; }
    sleep 0.2
    start_daemon
    echo "private libvirtd pid $(cat "$DIR/libvirtd.pid"), socket $DIR/sock/libvirt-sock"
    ;;
  kill) kill_daemon ;;
  start) start_daemon; echo "private libvirtd pid $(cat "$DIR/libvirtd.pid")" ;;
  down)
    if [ -s "$DIR/libvirtd.pid" ] && [ -s "$DIR/ns.pid" ]; then
      # guests of the private daemon must not outlive it
      for d in $(virsh -c "qemu+unix:///system?socket=$DIR/sock/libvirt-sock" list --name 2>/dev/null); do
        virsh -c "qemu+unix:///system?socket=$DIR/sock/libvirt-sock" destroy "$d" >/dev/null 2>&1 || true
      done
    fi
    kill_daemon
    ns=$(cat "$DIR/ns.pid" 2>/dev/null || true)
    [ -n "$ns" ] && kill "$ns" 2>/dev/null || true
    rm -f "$DIR/ns.pid"
    ;;
  *) echo "usage: $0 up|kill|start|down DIR" >&2; exit 1 ;;
esac
