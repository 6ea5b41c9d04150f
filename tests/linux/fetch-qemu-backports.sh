#!/usr/bin/env bash
# Unpacks QEMU from Debian's bookworm-backports suite into a private folder: tests/linux/fetch-qemu-backports.sh OUTDIR
#   OUTDIR/usr/bin/qemu-system-x86_64   QEMU 10, which runs vhost-user-gpu-pci under TCG (7.2 insists on KVM)
#   OUTDIR/usr/share/qemu, .../seabios  its firmware: run it with -L OUTDIR/usr/share/qemu -L OUTDIR/usr/share/seabios
#   OUTDIR/usr/lib/x86_64-linux-gnu/qemu its modules (virtio-gpu is one): run it with QEMU_MODULE_DIR set to that folder
#   OUTDIR/VERSION                      the packages and versions
# The system's QEMU 7.2 stays the reference everywhere else. The suite is reached through an apt source list of
# our own, made from the machine's existing Debian entry (so no host is written down here), and a private apt
# state: the system's sources, lists and packages are left as they were.
set -euo pipefail

if (($# != 1)); then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
outdir="$(realpath -m "$1")"
packages=(qemu-system-x86 qemu-system-common qemu-system-data seabios)
if [[ -x "$outdir/usr/bin/qemu-system-x86_64" && -f "$outdir/VERSION" ]]; then
    echo "$outdir is up to date ($(head -n 1 "$outdir/VERSION"))"
    exit 0
fi

# The first Debian archive the machine uses, in either apt format (deb822 .sources or one-line .list).
mirror="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ && $2 ~ /debian\/?$/ { print $2; exit }')"
if [[ -z "$mirror" ]]; then
    mirror="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '$1 == "deb" && $2 ~ /debian\/?$/ { print $2; exit }')"
fi
if [[ -z "$mirror" ]]; then
    echo "$0: no Debian archive in /etc/apt/sources.list*: bookworm-backports cannot be reached" >&2
    exit 1
fi

mkdir -p "$(dirname "$outdir")"
work="$(mktemp -d "$(dirname "$outdir")/.qemu-backports.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs" "$work/root"
echo "deb $mirror bookworm-backports main" >"$work/sources.list"
apt_options=(-q -o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root)
apt-get "${apt_options[@]}" update -qq
(cd "$work/debs" && apt-get "${apt_options[@]}" download "${packages[@]/%//bookworm-backports}")
for deb in "$work"/debs/*.deb; do
    dpkg-deb -x "$deb" "$work/root"
done
# Every library it links against must come from the system: a missing one is a clear failure here, not in a test.
if missing="$(ldd "$work/root/usr/bin/qemu-system-x86_64" | grep 'not found')"; then
    echo "$0: QEMU from bookworm-backports needs libraries this machine lacks:" >&2
    echo "$missing" >&2
    exit 1
fi
for package in "${packages[@]}"; do
    deb=("$work/debs/${package}"_*.deb)
    echo "$package $(dpkg-deb -f "${deb[0]}" Version)"
done >"$work/root/VERSION"

rm -rf "$outdir"
mv "$work/root" "$outdir"
echo "$outdir: $(head -n 1 "$outdir/VERSION")"
