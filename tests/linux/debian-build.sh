# Sourced by make-linux-guest.sh and tests/host/make-host.sh: what both do around their own work. Each makes its
# outputs from Debian packages in a work directory beside OUTDIR (the same file system, so the final mv is a
# rename) and moves them into place at the end, VERSION last, so an interrupted run leaves no half-written output.
# Each does nothing while every output is there and VERSION records the hash of the inputs it was made from; a
# newer Debian kernel is picked up only after OUTDIR is removed, so a test run never changes kernels by surprise.

# inputs_hash PATH...: a hash over the contents of every file at or below the paths, in a stable order, and not of
# where the repository is (a clone elsewhere has the same hash).
inputs_hash() {
    find "$@" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | cut -d' ' -f1 | sha256sum | cut -c1-16
}

# up_to_date OUTDIR INPUTS_LINE OUTPUT...: true when every OUTPUT is in OUTDIR and its VERSION holds INPUTS_LINE.
up_to_date() {
    local outdir="$1" line="$2" output
    shift 2
    for output in "$@"; do
        [[ -f "$outdir/$output" ]] || return 1
    done
    grep -qx "$line" "$outdir/VERSION"
}

# enter_work_directory OUTDIR: makes the work directory beside OUTDIR, removed on exit, and goes into it.
enter_work_directory() {
    mkdir -p "$(dirname "$1")"
    work="$(mktemp -d "$(dirname "$1")/.$(basename "$1").XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    cd "$work"
}

# debian_kernel_package: the kernel package linux-image-amd64 depends on (it is only a metapackage).
debian_kernel_package() {
    # apt-get download needs the package lists, which a fresh container may not have yet.
    if ! apt-cache show linux-image-amd64 >/dev/null 2>&1; then
        apt-get update -qq
    fi
    local package
    package="$(apt-cache depends linux-image-amd64 | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')"
    if [[ -z "$package" ]]; then
        echo "linux-image-amd64 depends on no linux-image-* package" >&2
        return 1
    fi
    echo "$package"
}

# move_outputs OUTDIR OUTPUT...: from out/ in the work directory into OUTDIR, VERSION (which must be last) last.
move_outputs() {
    local outdir="$1" output
    shift
    mkdir -p "$outdir"
    for output in "$@"; do
        mv -f "out/$output" "$outdir/$output"
    done
    echo "$outdir: $(head -n 1 "$outdir/VERSION")"
}
