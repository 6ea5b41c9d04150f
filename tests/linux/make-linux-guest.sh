#!/usr/bin/env bash
# Builds the Linux test guest from Debian packages: tests/linux/make-linux-guest.sh OUTDIR
#   OUTDIR/vmlinuz            the kernel linux-image-amd64 depends on, as Debian ships it (a bzImage)
#   OUTDIR/vmlinux            the same kernel as an ELF, unpacked from the bzImage's XZ payload
#   OUTDIR/initramfs.cpio.gz  busybox-static, the kernel's virtio and ext4 modules, mke2fs/e2fsck and socat
#                             with their libraries, tests/linux/init and the checks in tests/linux/checks
#                             (the protocol and the checks' keys are in tests/linux/README.md)
#   OUTDIR/stress-ng.tar      Debian's stress-ng with every library it links, for a virtio-fs share (not in the
#                             initramfs: some 35 MB, most of it libraries the file-system stressors never call)
#   OUTDIR/VERSION            the packages and versions these came from, and the hash of tests/linux
# Nothing is downloaded except those .deb files, through apt.
set -euo pipefail

if (($# != 1)); then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
outdir="$(realpath -m "$1")"
outputs=(vmlinuz vmlinux initramfs.cpio.gz stress-ng.tar VERSION)

source "$here/debian-build.sh"
# The hash covers every file in this folder (this script, init, the checks), so a change to any of them rebuilds the guest.
inputs="inputs tests/linux $(inputs_hash "$here")"
if up_to_date "$outdir" "$inputs" "${outputs[@]}"; then
    echo "$outdir is up to date ($(head -n 1 "$outdir/VERSION"))"
    exit 0
fi
enter_work_directory "$outdir"
kernel_package="$(debian_kernel_package)"
# The checks' tools: e2fsprogs (mke2fs, e2fsck) and socat (busybox has no AF_VSOCK client), and the
# libraries they link against, directly or not (Debian 12's names; one missing is reported below, when the
# links are resolved). socat's libwrap brings libnsl, libtirpc and Kerberos' GSS-API libraries.
tool_packages=(e2fsprogs socat libc6 libext2fs2 libcom-err2 libblkid1 libuuid1 libssl3 libwrap0
    libnsl2 libtirpc3 libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0 libkeyutils1)
# stress-ng and its libraries' packages (Debian 12's names), whose libraries are resolved as the tools' are.
stress_packages=(stress-ng libegl1 libglvnd0 libgles2 libgbm1 libdrm2 libwayland-server0 libexpat1 libffi8 libipsec-mb1
    libjudydebian1 libapparmor1 libbsd0 libmd0 libcrypt1 libjpeg62-turbo libkmod2 liblzma5 libzstd1 libssl3 libsctp1 libxxhash0
    zlib1g libc6)
# As root, apt would try to download as the _apt user, find it cannot write to this private directory,
# warn, and download as root anyway; saying so up front keeps that warning out of the log.
apt-get download -q -o APT::Sandbox::User=root "$kernel_package" busybox-static "${tool_packages[@]}" \
    $(printf '%s\n' "${stress_packages[@]}" | grep -vxF -f <(printf '%s\n' "${tool_packages[@]}"))
kernel_deb=("$kernel_package"_*.deb)
busybox_deb=(busybox-static_*.deb)

# From the kernel package, only the bzImage and the modules (some 400 MB, from which a few are taken below).
dpkg-deb --fsys-tarfile "${kernel_deb[0]}" | tar -x --wildcards './boot/vmlinuz-*' './lib/modules/*'
dpkg-deb --fsys-tarfile "${busybox_deb[0]}" | tar -x ./bin/busybox
mkdir tools stress
for package in "${tool_packages[@]}"; do
    dpkg-deb -x "$package"_*.deb tools
done
for package in "${stress_packages[@]}"; do
    dpkg-deb -x "$package"_*.deb stress
done
vmlinuz=(boot/vmlinuz-*)
mkdir out
cp "${vmlinuz[0]}" out/vmlinuz

# The vmlinux ELF, found as the kernel's scripts/extract-vmlinux finds it: the bzImage carries it
# XZ-compressed behind the setup code and the decompressor, so try every XZ magic (FD 37 7A 58 5A 00) in
# the file and keep the first stream that decompresses to an ELF. A false match just fails to decompress.
# --single-stream ignores what follows the stream (the decompressor's size word and the rest of the image);
# xz then stops reading, so tail's broken pipe is expected and kept quiet.
found=0
for offset in $(LC_ALL=C grep -obUaP '\xFD\x37\x7A\x58\x5A\x00' out/vmlinuz | cut -d: -f1); do
    tail -c "+$((offset + 1))" out/vmlinuz 2>/dev/null | xz -dc --single-stream >out/vmlinux 2>/dev/null || true
    if readelf -h out/vmlinux >/dev/null 2>&1; then
        found=1
        break
    fi
done
header="$(readelf -h out/vmlinux 2>/dev/null || true)"
if ((found == 0)) || ! grep -q 'Class: *ELF64' <<<"$header" || ! grep -q 'Machine: *Advanced Micro Devices X86-64' <<<"$header"; then
    echo "$0: no ELF64 x86-64 vmlinux inside ${vmlinuz[0]}" >&2
    exit 1
fi

# The initramfs. /dev stays empty: the kernel's own built-in initramfs already holds /dev/console, and
# /init mounts devtmpfs over /dev before it writes anything. So no device nodes are made here, no root is
# needed, and GNU cpio (-R 0:0 for root ownership, --reproducible for stable inode numbers) writes newc
# straight from a directory tree, where a hand-written newc writer would be its own code to trust.
mkdir -p root/bin root/sbin root/usr/bin root/etc root/dev root/proc root/sys root/mnt root/tmp root/lib/modules \
    root/lib/x86_64-linux-gnu root/lib64 root/glue-checks.d
cp bin/busybox root/bin/busybox
# /init needs sh, mount, insmod and poweroff; the rest are for the checks in /glue-checks.d and for debugging.
for applet in sh mount umount poweroff insmod cat echo ls mkdir sleep grep dmesg uname \
    awk xxd dd cmp od tr sort uniq wc head tail cut sed basename readlink blockdev sync rm ip ping kill lsmod date printf fstrim \
    truncate mv cp ln chmod touch stat mknod rmdir find sha256sum tar; do
    ln -s busybox "root/bin/$applet"
done
install -m 0755 "$here/init" root/init
install -m 0644 "$here/check-lib.sh" root/lib/glue-check.sh
install -m 0755 "$here"/checks/* root/glue-checks.d/

# Kernel modules: Debian builds virtio (PCI and MMIO transports, blk, net, rng, console, vsock) and ext4 as
# modules. crc32c_generic is listed because ext4 and jbd2 need crc32c only through a softdep (an alias that
# modprobe would load); crc32c-intel would need SSE4.2, which QEMU's TCG CPU lacks. 9p and 9pnet_virtio are for
# the bench's peer, QEMU's -virtfs (glue.fsbench).
source "$here/module-closure.sh"
module_dir=(lib/modules/*)
module_closure root/lib/modules "${module_dir[0]}" virtio_pci virtio_mmio virtio_blk virtio_net virtio_rng virtio_console \
    vmw_vsock_virtio_transport crc32c_generic ext4 virtio_gpu virtio_input evdev virtiofs 9p 9pnet_virtio

# The tools, at the paths their packages give them, with every shared library they need (their DT_NEEDED,
# recursively, found in the unpacked packages) in /lib/x86_64-linux-gnu, where Debian's loader looks by default.
# The loader is there too (libc.so.6 names it), and its PT_INTERP path /lib64/ld-linux-x86-64.so.2 is a link.
# mkfs.ext4 is mke2fs by another name; mke2fs.conf gives it the ext4 feature set Debian's mkfs.ext4 uses.
cp tools/sbin/mke2fs tools/sbin/e2fsck root/sbin/
ln -s mke2fs root/sbin/mkfs.ext4
cp tools/usr/bin/socat root/usr/bin/
cp tools/etc/mke2fs.conf root/etc/
ln -s /proc/mounts root/etc/mtab   # e2fsck and mount read it to tell whether a device is mounted
ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 root/lib64/ld-linux-x86-64.so.2
declare -A copied=()
# copy_libraries BINARY FROM TO: BINARY's libraries, found in the packages unpacked in FROM, into TO.
copy_libraries() {
    local library path
    for library in $(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        [[ -n "${copied[$3/$library]:-}" ]] && continue
        path="$(find "$2/lib/x86_64-linux-gnu" "$2/usr/lib/x86_64-linux-gnu" -name "$library" 2>/dev/null | head -n 1)"
        if [[ -z "$path" ]]; then
            echo "$0: $1 needs $library, which none of the packages unpacked in $2 holds" >&2
            exit 1
        fi
        copied[$3/$library]=1
        cp -L "$path" "$3/$library"
        copy_libraries "$path" "$2" "$3"
    done
}
for binary in root/sbin/mke2fs root/sbin/e2fsck root/usr/bin/socat; do
    copy_libraries "$binary" tools root/lib/x86_64-linux-gnu
done
# stress-ng.tar: bin/stress-ng and lib/ (its libraries and the loader, run as lib/ld-linux-x86-64.so.2 --library-path lib).
mkdir -p stress-ng/bin stress-ng/lib
cp stress/usr/bin/stress-ng stress-ng/bin/
copy_libraries stress-ng/bin/stress-ng stress stress-ng/lib
tar -C stress-ng --owner=0 --group=0 --numeric-owner --sort=name --mtime=@0 -cf out/stress-ng.tar bin lib
(cd root && find . -print0 | LC_ALL=C sort -z | cpio --null --create --format=newc -R 0:0 --reproducible --quiet) |
    gzip -9 -n >out/initramfs.cpio.gz

{
    echo "kernel $(dpkg-deb -f "${kernel_deb[0]}" Package) $(dpkg-deb -f "${kernel_deb[0]}" Version)"
    echo "busybox $(dpkg-deb -f "${busybox_deb[0]}" Package) $(dpkg-deb -f "${busybox_deb[0]}" Version)"
    for package in "${tool_packages[@]}"; do
        deb=("$package"_*.deb)
        echo "tool $package $(dpkg-deb -f "${deb[0]}" Version)"
    done
    for package in "${stress_packages[@]}"; do
        deb=("$package"_*.deb)
        echo "stress-ng $package $(dpkg-deb -f "${deb[0]}" Version)"
    done
    echo "modules $(tr '\n' ' ' <root/lib/modules/load-order)"
    echo "$inputs"
} >out/VERSION
move_outputs "$outdir" "${outputs[@]}"
