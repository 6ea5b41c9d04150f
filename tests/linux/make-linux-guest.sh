#!/usr/bin/env bash
# Builds the Linux test guest from two Debian packages: tests/linux/make-linux-guest.sh OUTDIR
#   OUTDIR/vmlinuz            the kernel linux-image-amd64 depends on, as Debian ships it (a bzImage)
#   OUTDIR/vmlinux            the same kernel as an ELF, unpacked from the bzImage's XZ payload
#   OUTDIR/initramfs.cpio.gz  busybox-static and tests/linux/init (the protocol is in tests/linux/README.md)
#   OUTDIR/VERSION            the packages and versions these came from
# Nothing is downloaded except those two .deb files, through apt.
set -euo pipefail

if (($# != 1)); then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
outdir="$(realpath -m "$1")"
outputs=(vmlinuz vmlinux initramfs.cpio.gz VERSION)

# The cache is simply "every output is there": a newer Debian kernel is picked up only after OUTDIR is
# removed, so a test run never changes kernels under the tests by surprise.
missing=0
for output in "${outputs[@]}"; do
    [[ -f "$outdir/$output" ]] || missing=1
done
if ((missing == 0)); then
    echo "$outdir is up to date ($(head -n 1 "$outdir/VERSION"))"
    exit 0
fi

# Everything is made in a work directory beside OUTDIR (the same file system, so the final mv is a rename)
# and moved into place at the end: an interrupted run leaves no half-written output.
mkdir -p "$(dirname "$outdir")"
work="$(mktemp -d "$(dirname "$outdir")/.linux-guest.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"

# apt-get download needs the package lists, which a fresh container may not have yet.
if ! apt-cache show linux-image-amd64 >/dev/null 2>&1; then
    apt-get update -qq
fi
# linux-image-amd64 is only a metapackage; the kernel is in the versioned package it depends on.
kernel_package="$(apt-cache depends linux-image-amd64 | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')"
if [[ -z "$kernel_package" ]]; then
    echo "$0: linux-image-amd64 depends on no linux-image-* package" >&2
    exit 1
fi
# As root, apt would try to download as the _apt user, find it cannot write to this private directory,
# warn, and download as root anyway; saying so up front keeps that warning out of the log.
apt-get download -q -o APT::Sandbox::User=root "$kernel_package" busybox-static
kernel_deb=("$kernel_package"_*.deb)
busybox_deb=(busybox-static_*.deb)

# Only the files needed are unpacked: the kernel package also holds some 400 MB of modules.
dpkg-deb --fsys-tarfile "${kernel_deb[0]}" | tar -x --wildcards './boot/vmlinuz-*'
dpkg-deb --fsys-tarfile "${busybox_deb[0]}" | tar -x ./bin/busybox
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
mkdir -p root/bin root/dev root/proc root/sys root/glue-checks.d
cp bin/busybox root/bin/busybox
# /init needs sh, mount and poweroff; the rest are for the checks in /glue-checks.d and for debugging.
for applet in sh mount umount poweroff cat echo ls mkdir sleep grep dmesg uname; do
    ln -s busybox "root/bin/$applet"
done
install -m 0755 "$here/init" root/init
(cd root && find . -print0 | LC_ALL=C sort -z | cpio --null --create --format=newc -R 0:0 --reproducible --quiet) |
    gzip -9 -n >out/initramfs.cpio.gz

{
    echo "kernel $(dpkg-deb -f "${kernel_deb[0]}" Package) $(dpkg-deb -f "${kernel_deb[0]}" Version)"
    echo "busybox $(dpkg-deb -f "${busybox_deb[0]}" Package) $(dpkg-deb -f "${busybox_deb[0]}" Version)"
} >out/VERSION

# VERSION goes last, so that an interruption during the moves leaves an incomplete set the next run redoes.
mkdir -p "$outdir"
for output in "${outputs[@]}"; do
    mv -f "out/$output" "$outdir/$output"
done
echo "$outdir: $(head -n 1 "$outdir/VERSION")"
