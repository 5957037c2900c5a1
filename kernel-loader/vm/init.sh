#!/bin/busybox sh
# /init of the kwasm test VM (busybox-static initramfs, built by kernel-loader/vm/harness.ts).
# Mounts the host's root read-only over 9p, loads kwasm.ko from it, runs one node script in a
# chroot there, then prints the evidence the harness judges (exit code, rmmod, taint, vmalloc
# leaks, dmesg) between @@KWASM markers on the serial console and powers off.
/bin/busybox mkdir -p /bin /sbin /proc /sys /dev /host
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
# the loopback interface, for the network tests (guest-only: the VM has no other network)
ifconfig lo 127.0.0.1 up || say_early=1
mount -t devtmpfs dev /dev
KO=; SCRIPT=; KEEP=
for w in $(cat /proc/cmdline); do
  case "$w" in
    kwasm_ko=*) KO=${w#kwasm_ko=} ;;
    kwasm_run=*) SCRIPT=${w#kwasm_run=} ;;
    kwasm_keep=*) KEEP=${w#kwasm_keep=} ;;  # a host directory under /tmp the guest must still see
  esac
done
say() { echo "@@KWASM $*"; }
[ -n "$say_early" ] && say "ERROR loopback"

for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p; do
  insmod /lib/modules/$m.ko || say "ERROR insmod $m"
done
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro host /host || say "ERROR mount 9p"
mount -t proc proc /host/proc
mount -t devtmpfs dev /host/dev
mount -t sysfs sys /host/sys
# The guest's /tmp is its own tmpfs (the share is read-only). A checkout under the host's /tmp
# (KEEP, the top directory holding it) would vanish under it: keep it visible, bound from a
# second view of the host's /tmp taken before the tmpfs goes on top.
if [ -n "$KEEP" ]; then mkdir -p /hosttmp && mount -o bind /host/tmp /hosttmp || say "ERROR bind host /tmp"; fi
mount -t tmpfs -o size=256m tmp /host/tmp
if [ -n "$KEEP" ]; then
  mkdir -p "/host$KEEP" && mount -o bind "/hosttmp${KEEP#/tmp}" "/host$KEEP" || say "ERROR bind $KEEP"
fi

say "TAINT-BEFORE $(cat /proc/sys/kernel/tainted)"
if insmod "/host$KO"; then say "INSMOD 0"; else say "INSMOD 1"; fi
say "BEGIN-SCRIPT"
chroot /host /usr/bin/env -i PATH=/usr/bin:/bin HOME=/tmp NO_COLOR=1 /usr/bin/node "$SCRIPT"
say "END-SCRIPT $?"
say "VMALLOC-KWASM $(grep -c '\[kwasm\]' /proc/vmallocinfo)"
say "LIVE-KWASM $(tr ' ' '/' < /sys/module/kwasm/parameters/live)"
if rmmod kwasm; then say "RMMOD 0"; else say "RMMOD 1"; fi
say "TAINT-AFTER $(cat /proc/sys/kernel/tainted)"
say "BEGIN-DMESG"
dmesg
say "END-DMESG"
[ -n "$KEEP" ] && umount "/host$KEEP" /hosttmp 2>/dev/null
umount /host/tmp /host/sys /host/dev /host/proc /host 2>/dev/null
poweroff -f
