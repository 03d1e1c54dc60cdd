#!/usr/bin/env bash
# Builds the tiny test guest: Debian's cloud kernel + a busybox initramfs whose /init prints
# "GUEST-UP <uptime>" and then "TICK n <uptime> disks=..." every second on the serial console.
# usage: guest-payload.sh [OUTDIR]   (default /var/lib/limiquantix/test-guest)
# Needs (installed by ./run/test): busybox-static, cpio, gzip, apt-get access to linux-image-cloud-amd64.
# Idempotent: does nothing when OUTDIR already holds a payload built by this version of the script.
set -euo pipefail
OUT=${1:-/var/lib/limiquantix/test-guest}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STAMP="payload-v5"
if [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initramfs.gz" ] && [ "$(cat "$OUT/.stamp" 2>/dev/null)" = "$STAMP" ]; then
  exit 0
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
# The meta package depends on the versioned kernel package; download that one and unpack it (no install).
KPKG=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
[ -n "$KPKG" ] || { echo "guest-payload: cannot find the cloud kernel package (run apt-get update)" >&2; exit 1; }
apt-get download -q "$KPKG" >/dev/null
dpkg -x ./*.deb kernel
KVER=$(ls kernel/lib/modules | head -n1)
mkdir -p initramfs/{bin,proc,sys,dev,lib/mods,tmp,mnt}
cp /bin/busybox initramfs/bin/busybox
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk scsi_common scsi_mod sd_mod virtio_scsi; do
  f=$(find kernel/lib/modules/"$KVER" -name "$m.ko*" | head -n1)
  [ -n "$f" ] || { echo "guest-payload: module $m not found in $KVER" >&2; exit 1; }
  case "$f" in
    *.ko.xz) xz -dc "$f" > "initramfs/lib/mods/$m.ko" ;;
    *.ko.zst) zstd -qdc "$f" > "initramfs/lib/mods/$m.ko" ;;
    *) cp "$f" "initramfs/lib/mods/$m.ko" ;;
  esac
done
install -m 0755 "$HERE/guest-init.sh" initramfs/init
(cd initramfs && find . | cpio -o -H newc --quiet | gzip -9) > initramfs.gz
mkdir -p "$OUT"
cp kernel/boot/vmlinuz-"$KVER" "$OUT/vmlinuz.tmp" && mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
cp initramfs.gz "$OUT/initramfs.gz.tmp" && mv "$OUT/initramfs.gz.tmp" "$OUT/initramfs.gz"
chmod 0644 "$OUT/vmlinuz" "$OUT/initramfs.gz"; chmod 0755 "$OUT" "$(dirname "$OUT")"
echo "$STAMP" > "$OUT/.stamp"
echo "guest payload: kernel $KVER in $OUT"
