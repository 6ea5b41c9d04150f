#!/usr/bin/env bash
# Builds the software KVM host from Debian packages: tests/host/make-host.sh OUTDIR
#   OUTDIR/vmlinuz            the kernel linux-image-amd64 depends on (the Linux test guest's)
#   OUTDIR/initramfs.cpio.gz  busybox-static, the kernel's kvm, kvm_amd, tun, 9p, virtio-net, loop and ext4 modules,
#                             tests/host/init and the agent (tests/host/agent.c, linked statically)
#   OUTDIR/host-exec          the agent's client, for this machine: host-exec PROGRAM [ARGUMENTS...] runs a program in the host
#   OUTDIR/VERSION            the packages and versions these came from, and the hash of tests/host
# QEMU boots it under TCG with -cpu max (tests/host/README.md): AMD SVM with nested paging, so kvm_amd gives a
# real /dev/kvm. Nothing is downloaded except the .deb files, through apt.
set -euo pipefail

if (($# != 1)); then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
outdir="$(realpath -m "$1")"
outputs=(vmlinuz initramfs.cpio.gz host-exec VERSION)

source "$here/../linux/debian-build.sh"
# The hash covers every file here and the scripts of tests/linux this one sources.
inputs="inputs tests/host $(inputs_hash "$here" "$here/../linux/debian-build.sh" "$here/../linux/module-closure.sh")"
if up_to_date "$outdir" "$inputs" "${outputs[@]}"; then
    echo "$outdir is up to date ($(head -n 1 "$outdir/VERSION"))"
    exit 0
fi
enter_work_directory "$outdir"
kernel_package="$(debian_kernel_package)"
apt-get download -q -o APT::Sandbox::User=root "$kernel_package" busybox-static
kernel_deb=("$kernel_package"_*.deb)
busybox_deb=(busybox-static_*.deb)
dpkg-deb --fsys-tarfile "${kernel_deb[0]}" | tar -x --wildcards './boot/vmlinuz-*' './lib/modules/*'
dpkg-deb --fsys-tarfile "${busybox_deb[0]}" | tar -x ./bin/busybox
mkdir out
vmlinuz=(boot/vmlinuz-*)
cp "${vmlinuz[0]}" out/vmlinuz

mkdir -p root/bin root/dev root/proc root/sys root/newroot root/lib/modules
cp bin/busybox root/bin/busybox
for applet in sh mount insmod mkdir cp chroot cat echo ip poweroff uname nproc; do
    ln -s busybox "root/bin/$applet"
done
install -m 0755 "$here/init" root/init
gcc -O2 -Wall -Wextra -Werror -static -o root/glue-host-agent "$here/agent.c"
gcc -O2 -Wall -Wextra -Werror -o out/host-exec "$here/host-exec.c"

# The modules and their depends= closure, in load order (as tests/linux/make-linux-guest.sh resolves them).
# kvm_amd is what makes /dev/kvm on the emulated AMD CPU; tun is for the network tests' TAPs; 9p carries the root;
# loop and ext4 give the bench a host disk's file system (BenchScratch); crc32c_generic is ext4's softdep.
source "$here/../linux/module-closure.sh"
module_dir=(lib/modules/*)
module_closure root/lib/modules "${module_dir[0]}" virtio_pci virtio_net kvm_amd tun 9pnet_virtio 9p veth loop crc32c_generic ext4

(cd root && find . -print0 | LC_ALL=C sort -z | cpio --null --create --format=newc -R 0:0 --reproducible --quiet) |
    gzip -9 -n >out/initramfs.cpio.gz
{
    echo "kernel $(dpkg-deb -f "${kernel_deb[0]}" Package) $(dpkg-deb -f "${kernel_deb[0]}" Version)"
    echo "busybox $(dpkg-deb -f "${busybox_deb[0]}" Package) $(dpkg-deb -f "${busybox_deb[0]}" Version)"
    echo "modules $(tr '\n' ' ' <root/lib/modules/load-order)"
    echo "$inputs"
} >out/VERSION
move_outputs "$outdir" "${outputs[@]}"
