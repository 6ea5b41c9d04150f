# Sourced by make-linux-guest.sh and tests/host/make-host.sh. Debian's kernel package has no modules.dep (depmod
# makes it on install), so a wanted module's `depends=` (from its .modinfo section, what modinfo prints) is
# resolved here, recursively, into a load order that an init follows with insmod. File names become module
# names (virtio-rng.ko is virtio_rng).
# module_closure DEST MODULE_DIR MODULE...: copies MODULE... and what they depend on to DEST/NAME.ko, and writes
# the order to load them in to DEST/load-order.
module_closure() {
    local destination="$1" module_dir="$2" file name module
    shift 2
    declare -A module_files=() placed=()
    local load_order=()
    while IFS= read -r -d '' file; do
        name="$(basename "$file" .ko)"
        module_files[${name//-/_}]="$file"
    done < <(find "$module_dir/kernel" -name '*.ko' -print0)
    place_module() {
        local name="$1" file="${module_files[$1]:-}" dependency
        [[ -n "${placed[$name]:-}" ]] && return
        if [[ -z "$file" ]]; then
            echo "module_closure: module $name is not in $module_dir" >&2
            exit 1
        fi
        placed[$name]=1
        for dependency in $(tr '\0' '\n' <"$file" | sed -n 's/^depends=//p' | tr ',' ' '); do
            place_module "${dependency//-/_}"
        done
        cp "$file" "$destination/$name.ko"
        load_order+=("$name")
    }
    for module in "$@"; do
        place_module "$module"
    done
    printf '%s\n' "${load_order[@]}" >"$destination/load-order"
}
