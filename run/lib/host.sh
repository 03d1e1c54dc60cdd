# Shared by run/node and run/test: install what the host lacks, and a private libvirtd/virtlogd pair.
# Sourced, not executed. Everything here is idempotent and safe to run on a host that already has it all.

LQ_RUN_DIR=${LQ_RUN_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
LQ_STATE=${LQ_STATE:-$LQ_RUN_DIR/work}

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# ensure_packages PKG...: installs the Debian packages that are not installed yet (apt-get update once).
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} = 0 ] && return 0
  log "installing from Debian: ${missing[*]}"
  as_root apt-get update -q >/dev/null || die "apt-get update failed"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

# Runtime needs of the node itself: a JDK to run it, Maven to build it, libvirt's client library.
NODE_PACKAGES=(openjdk-17-jdk-headless maven libvirt0)
# What the tests drive for real: a libvirt daemon with the QEMU driver, QEMU, UEFI firmware, swtpm,
# the guest payload's ingredients, the XML validator, a Python gRPC client for the API test (a client
# nobody here wrote), a one-node Ceph cluster for the RBD tests, openssl for the two-host harness's migration
# TLS certificates and tcpdump for the test that reads the TLS migration's stream off the wire.
TEST_PACKAGES=(libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils ovmf
  qemu-block-extra swtpm swtpm-tools busybox-static cpio xz-utils zstd libxml2-utils iproute2 pciutils openssl
  python3-grpcio python3-protobuf python3-grpc-tools chromium
  ceph-mon ceph-osd ceph-common librbd1 librados2
  virtinst strace tcpdump)
# noVNC for the console test comes from the npm registry (run/lib/novnc.sh); Debian's npm only where no npm is
# installed already (a NodeSource nodejs brings its own, and Debian's npm would conflict with it).
command -v npm >/dev/null 2>&1 || TEST_PACKAGES+=(npm)

# Without udev, /dev/kvm stays 0600 root. libvirt probes QEMU's capabilities as root (KVM visible) but
# checks that cache as the QEMU user (KVM invisible), finds it "outdated" and reprobes on every call:
# each define then takes about a minute. Debian's udev rule makes /dev/kvm root:kvm 0660, and the QEMU
# user (libvirt-qemu) is in group kvm; do the same here.
grant_kvm_to_qemu() {
  [ -c /dev/kvm ] || return 0
  getent group kvm >/dev/null || return 0
  if [ "$(stat -c '%G %a' /dev/kvm)" != "kvm 660" ]; then
    as_root chgrp kvm /dev/kvm && as_root chmod 0660 /dev/kvm && log "set /dev/kvm to root:kvm 0660 (as udev would)"
  fi
}

libvirt_answers() { timeout 10 virsh -c qemu:///system version >/dev/null 2>&1; }

# start_libvirtd: starts virtlogd + libvirtd unless a libvirtd already answers; remembers what it started
# (pid files under $LQ_STATE/libvirt) so that stop_libvirtd stops exactly that and nothing else.
start_libvirtd() {
  local d=$LQ_STATE/libvirt
  grant_kvm_to_qemu
  if libvirt_answers; then log "libvirtd already answers on qemu:///system; using it"; return 0; fi
  mkdir -p "$d" /var/log/libvirt/qemu
  rm -f "$d"/*.pid "$d"/started
  # A virtlogd that is still exiting (stopped a moment ago) has already removed its socket: wait for it to go
  # rather than take it for a running one, or every guest start fails on the missing virtlogd-sock.
  local i
  for i in $(seq 1 50); do
    pgrep -x virtlogd >/dev/null && [ ! -S /run/libvirt/virtlogd-sock ] || break
    sleep 0.2
  done
  if ! pgrep -x virtlogd >/dev/null; then
    virtlogd -d -p "$d/virtlogd.pid" || die "virtlogd did not start"
    echo virtlogd >> "$d/started"
  fi
  for i in $(seq 1 50); do [ -S /run/libvirt/virtlogd-sock ] && break; sleep 0.1; done
  [ -S /run/libvirt/virtlogd-sock ] || die "virtlogd runs but /run/libvirt/virtlogd-sock does not exist"
  libvirtd -d -p "$d/libvirtd.pid" || die "libvirtd did not start"
  echo libvirtd >> "$d/started"
  for i in $(seq 1 50); do libvirt_answers && break; sleep 0.2; done
  libvirt_answers || die "libvirtd started but qemu:///system does not answer (see /var/log/libvirt)"
  log "started libvirtd (pid $(cat "$d/libvirtd.pid")) and virtlogd for this run"
}

stop_libvirtd() {
  local d=$LQ_STATE/libvirt f pid
  [ -f "$d/started" ] || return 0
  for f in libvirtd virtlogd; do
    grep -qx "$f" "$d/started" || continue
    pid=$(cat "$d/$f.pid" 2>/dev/null) || continue
    kill "$pid" 2>/dev/null || continue
    # Wait until it has gone (bounded), so that a start right after finds neither it nor its socket.
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    log "stopped $f (pid $pid)"
  done
  rm -f "$d/started"
}
