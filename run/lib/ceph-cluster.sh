#!/usr/bin/env bash
# A throw-away Ceph cluster for tests: one monitor and one memstore OSD on 127.0.0.1, cephx on, pool
# `rbd` created and initialised for RBD. No systemd: the daemons run directly and all their state (config,
# keys, data, logs, PID files) lives under DIR, so several clusters can coexist on different port bases.
#
#   ceph-cluster.sh up DIR     start a cluster in DIR (DIR must be absent, empty, or an earlier cluster dir)
#   ceph-cluster.sh down DIR   stop the daemons whose PID files are in DIR/run, and only those
#
# Environment: LQ_CEPH_PORT_BASE (default 16800): monitor msgr2 on BASE, msgr1 on BASE+1, the OSD binds in
# BASE+10..BASE+99. LQ_CEPH_STORE_GB (default 2): memstore size (memstore never gives RAM back).
# Results in DIR: ceph.conf, ceph.client.admin.keyring, env (exports CEPH_CONF and CEPH_ARGS for the CLI),
# monitors (the host:port list a client configuration uses), fsid, log/, run/*.pid.
set -euo pipefail

usage() { echo "usage: ceph-cluster.sh up|down DIR" >&2; exit 2; }
fail() { echo "ceph-cluster.sh: $*" >&2; exit 1; }

# Every CLI call is bounded: commands that need a mgr, or a monitor that is not up, otherwise wait forever.
cli_ceph() { timeout 60 ceph --connect-timeout 20 "$@"; }

stop_pids() {  # DIR PIDFILE...: SIGTERM (memstore writes its data only on a clean stop), SIGKILL after 15 s
  local pids=() f p i alive
  shift
  for f in "$@"; do
    [ -f "$f" ] || continue
    p=$(cat "$f" 2>/dev/null || true)
    if [[ "$p" =~ ^[0-9]+$ ]] && kill -0 "$p" 2>/dev/null; then
      kill -TERM "$p" && pids+=("$p")
    fi
    rm -f "$f"
  done
  [ ${#pids[@]} = 0 ] && return 0
  for i in $(seq 1 150); do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && return 0
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && kill -KILL "$p"; done
  return 0
}

down() {
  local dir=$1
  shopt -s nullglob
  # OSD before monitor, so that the OSD can report itself down instead of waiting for the monitor.
  stop_pids "$dir" "$dir"/run/osd.*.pid
  stop_pids "$dir" "$dir"/run/mon.*.pid
}

write_conf() {  # DIR FSID BASE STORE_BYTES
  local dir=$1 fsid=$2 base=$3 bytes=$4
  cat > "$dir/ceph.conf" <<EOF
[global]
fsid = $fsid
mon_host = [v2:127.0.0.1:$base,v1:127.0.0.1:$((base + 1))]
mon_initial_members = a
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_port_min = $((base + 10))
ms_bind_port_max = $((base + 99))
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
auth_allow_insecure_global_id_reclaim = false
keyring = $dir/\$cluster.\$name.keyring
run_dir = $dir/run
admin_socket = $dir/run/\$name.\$pid.asok
pid_file = $dir/run/\$name.pid
log_file = $dir/log/\$name.log
crash_dir = $dir/crash
log_to_stderr = false
err_to_stderr = true
# a single OSD: one replica, no health warnings about it
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_warn_on_pool_no_redundancy = false
mon_warn_on_insecure_global_id_reclaim_allowed = false
mon_data_avail_warn = 1
mon_data_avail_crit = 0

[mon]
mon_data = $dir/mon/\$cluster-\$id
keyring = $dir/mon/\$cluster-\$id/keyring
mon_cluster_log_file = $dir/log/cluster.log
# there is no mgr; without this the monitor reports MGR_DOWN two minutes after creation
mon_mgr_mkfs_grace = 315360000
# commit map changes at once (the 1 s default makes every pool command take about a second)
paxos_propose_interval = 0.1
paxos_min_wait = 0.01

[osd]
osd_data = $dir/osd/\$cluster-\$id
keyring = $dir/osd/\$cluster-\$id/keyring
osd_objectstore = memstore
memstore_device_bytes = $bytes
# memstore persists only at a clean umount, which fast shutdown skips
osd_fast_shutdown = false
osd_op_num_shards = 1
osd_op_num_threads_per_shard = 2
EOF
}

up() {
  local dir=$1 base=${LQ_CEPH_PORT_BASE:-16800} gb=${LQ_CEPH_STORE_GB:-2} f port
  [[ "$base" =~ ^[0-9]+$ ]] && [ "$base" -ge 1024 ] && [ "$base" -le 65400 ] || fail "LQ_CEPH_PORT_BASE must be 1024..65400"
  for f in "$dir"/run/*.pid; do
    [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && fail "a cluster in $dir is still running; run 'down $dir' first"
  done
  if [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ] && [ ! -f "$dir/ceph.conf" ]; then
    fail "$dir is not empty and holds no earlier cluster; refusing to wipe it"
  fi
  for port in "$base" $((base + 1)); do
    ss -Htln "sport = :$port" | grep -q . && fail "port $port is in use; set LQ_CEPH_PORT_BASE"
  done
  rm -rf "$dir"
  mkdir -p "$dir"/{run,log,crash,mon/ceph-a,osd/ceph-0}
  dir=$(cd "$dir" && pwd)
  # A failed start stops whatever it did start.
  trap 'rc=$?; if [ $rc != 0 ]; then echo "ceph-cluster.sh: start failed, logs in '"$dir"'/log" >&2; down "'"$dir"'"; fi' EXIT

  local fsid osd_uuid osd_key id i
  fsid=$(cat /proc/sys/kernel/random/uuid)
  write_conf "$dir" "$fsid" "$base" $((gb * 1024 * 1024 * 1024))
  export CEPH_ARGS="-c $dir/ceph.conf"
  printf 'export CEPH_CONF=%s\nexport CEPH_ARGS="-c %s"\n' "$dir/ceph.conf" "$dir/ceph.conf" > "$dir/env"
  echo "$fsid" > "$dir/fsid"
  echo "127.0.0.1:$base" > "$dir/monitors"

  ceph-authtool --create-keyring "$dir/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool --create-keyring "$dir/ceph.client.admin.keyring" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool "$dir/mon.keyring" --import-keyring "$dir/ceph.client.admin.keyring" >/dev/null
  chmod 0600 "$dir"/*.keyring

  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$base,v1:127.0.0.1:$((base + 1))]" "$dir/monmap" >/dev/null
  ceph-mon --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/mon.keyring"
  ceph-mon -i a 2>>"$dir/log/daemon-start.err"
  cli_ceph mon stat >/dev/null || fail "monitor does not answer"

  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  osd_key=$(ceph-authtool --gen-print-key)
  id=$(printf '{"cephx_secret": "%s"}' "$osd_key" | cli_ceph osd new "$osd_uuid" -i -)
  [ "$id" = 0 ] || fail "unexpected OSD id '$id'"
  ceph-authtool --create-keyring "$dir/osd/ceph-0/keyring" --name osd.0 --add-key "$osd_key" >/dev/null
  ceph-osd -i 0 --mkfs --osd-uuid "$osd_uuid" >"$dir/log/osd-mkfs.out" 2>&1 || fail "OSD mkfs failed (see $dir/log/osd-mkfs.out)"
  ceph-osd -i 0 2>>"$dir/log/daemon-start.err"
  for i in $(seq 1 120); do
    cli_ceph osd dump 2>/dev/null | grep -q '^osd.0 up' && break
    sleep 0.5
  done
  cli_ceph osd dump | grep -q '^osd.0 up' || fail "osd.0 is not up after 60 s"

  cli_ceph osd pool create rbd 8 8 replicated >/dev/null 2>&1 || fail "pool create failed"
  timeout 120 rbd pool init rbd || fail "rbd pool init failed"
  trap - EXIT
  echo "ceph cluster up in $dir (fsid $fsid, monitor 127.0.0.1:$base); source $dir/env for the CLI"
}

[ $# = 2 ] || usage
case "$1" in
  up) up "$2" ;;
  down) down "$2" ;;
  *) usage ;;
esac
