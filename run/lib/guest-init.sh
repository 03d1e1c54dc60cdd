#!/bin/busybox sh
# /init of the test guest: bring up virtio disks, announce itself, then tick once a second so a test can
# see from the serial log that the guest runs, keeps running (migration) and sees disks come and go.
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev 2>/dev/null
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk scsi_common scsi_mod sd_mod virtio_scsi; do
  /bin/busybox insmod /lib/mods/$m.ko || /bin/busybox echo "insmod $m failed"
done
/bin/busybox echo "GUEST-UP $(/bin/busybox cat /proc/uptime)"
# lq.marker=<word> on the kernel command line: write "LQMARK:<word>" at the start of /dev/vda (the disk a
# test reads back from its storage afterwards), synced, then say so on the console.
for arg in $(/bin/busybox cat /proc/cmdline); do
  case "$arg" in
    lq.marker=*)
      word=${arg#lq.marker=}
      i=0
      while [ ! -b /dev/vda ] && [ $i -lt 30 ]; do /bin/busybox sleep 1; i=$((i+1)); done
      if /bin/busybox printf 'LQMARK:%s' "$word" | /bin/busybox dd of=/dev/vda bs=512 conv=fsync 2>/dev/null; then
        /bin/busybox sync
        /bin/busybox echo "MARKER-WRITTEN $word"
      else
        /bin/busybox echo "MARKER-FAILED $word"
      fi
      ;;
  esac
done
/bin/busybox echo "MODS: $(/bin/busybox cut -d' ' -f1 /proc/modules | /bin/busybox tr '\n' ' ')"
/bin/busybox dmesg -c > /dev/null
n=0
while true; do
  n=$((n+1))
  /bin/busybox echo "TICK $n $(/bin/busybox cut -d' ' -f1 /proc/uptime) disks=$(/bin/busybox ls /sys/block | /bin/busybox tr '\n' ',')"
  /bin/busybox dmesg -c | /bin/busybox sed 's/^/  K: /'
  /bin/busybox sleep 1
done
