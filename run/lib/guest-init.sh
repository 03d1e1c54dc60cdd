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
# lq.console-marks=1 on the kernel command line: also take commands from the serial console (a test writes
# them into the VM's pty). "MARK <word>" writes "LQMARK:<word>" at the start of /dev/vda exactly like
# lq.marker= and answers MARKER-WRITTEN <word>; the snapshot test uses it to change the disk at a moment
# of its choosing.
for arg in $(/bin/busybox cat /proc/cmdline); do
  case "$arg" in
    lq.console-marks=1)
      /bin/busybox stty -F /dev/ttyS0 -echo 2>/dev/null
      ( while read -r cmd word; do
          case "$cmd" in
            MARK)
              if /bin/busybox printf 'LQMARK:%s' "$word" | /bin/busybox dd of=/dev/vda bs=512 conv=fsync 2>/dev/null; then
                /bin/busybox sync
                /bin/busybox echo "MARKER-WRITTEN $word"
              else
                /bin/busybox echo "MARKER-FAILED $word"
              fi
              ;;
          esac
        done < /dev/ttyS0 ) &
      /bin/busybox echo "CONSOLE-MARKS ready"
      ;;
    lq.memcheck=*)
      # integrity under load (migration tests): keep rewriting <MiB> of page cache with random data and
      # check checksums of it and of a second region written once; MEMCHECK-BAD on any mismatch.
      mib=${arg#lq.memcheck=}
      (
        b=/bin/busybox; r=0; bad=0
        $b dd if=/dev/urandom of=/tmp/mc.static bs=1048576 count="$mib" 2>/dev/null
        st=$($b md5sum < /tmp/mc.static)
        $b echo "MEMCHECK-START ${mib}MiB"
        while true; do
          r=$((r+1))
          $b dd if=/dev/urandom of=/tmp/mc.work bs=1048576 count="$mib" 2>/dev/null
          w1=$($b md5sum < /tmp/mc.work); w2=$($b md5sum < /tmp/mc.work); s2=$($b md5sum < /tmp/mc.static)
          if [ "$w1" != "$w2" ] || [ "$s2" != "$st" ]; then
            bad=$((bad+1)); $b echo "MEMCHECK-BAD round $r work=${w1%% *}/${w2%% *} static=${s2%% *}/${st%% *}"
          fi
          $b echo "MEMCHECK round $r bad=$bad"
        done
      ) &
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
