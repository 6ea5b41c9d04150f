# Sourced by every check in /glue-checks.d (installed as /lib/glue-check.sh): reading the command line,
# printing the one result line, and waits that always end.

# key NAME: prints the value of the kernel command line's NAME=VALUE; fails if there is none.
key() {
    for token in $(cat /proc/cmdline); do
        case "$token" in
            "$1="*) echo "${token#*=}"; return 0 ;;
        esac
    done
    return 1
}

# pass DETAIL... / fail DETAIL...: the check's one line, then the check ends. The name is $check.
pass() {
    echo "GLUE-LINUX $check PASS $*"
    exit 0
}
fail() {
    echo "GLUE-LINUX $check FAIL $*"
    exit 1
}

# number VALUE WHAT: fails the check unless VALUE is a decimal or 0x-hex number (so that $((VALUE)) is safe).
number() {
    case "$1" in
        0x?*) case "${1#0x}" in *[!0-9a-fA-F]*) fail "$2 is '$1', not a number" ;; esac ;;
        [0-9]*) case "$1" in *[!0-9]*) fail "$2 is '$1', not a number" ;; esac ;;
        *) fail "$2 is '$1', not a number" ;;
    esac
}

# wait_for PATH SECONDS: waits for PATH to exist (drivers bind and devtmpfs adds nodes a little after insmod).
wait_for() {
    tenths=$(($2 * 10))
    while [ ! -e "$1" ] && [ "$tenths" -gt 0 ]; do
        sleep 0.1
        tenths=$((tenths - 1))
    done
    [ -e "$1" ]
}

# uptime_cs: prints /proc/uptime in centiseconds (its own resolution), for timing in the guest.
uptime_cs() {
    read -r up _ </proc/uptime
    echo "${up%.*}${up#*.}"
}

# virtio_net_interface: prints the first ethN whose driver is virtio_net, waiting up to 10 s for the driver to bind
# (it may, a moment after insmod); fails if there is none.
virtio_net_interface() {
    tenths=100
    while [ "$tenths" -gt 0 ]; do
        for device in /sys/class/net/eth*; do
            if [ "$(basename "$(readlink "$device/device/driver" 2>/dev/null)")" = virtio_net ]; then
                basename "$device"
                return 0
            fi
        done
        sleep 0.1
        tenths=$((tenths - 1))
    done
    return 1
}

# bounded SECONDS COMMAND...: runs COMMAND and returns its status, or 124 if it has not ended within
# SECONDS. A late command is sent SIGKILL and left behind without a wait: a process stuck in the kernel on
# I/O a device never completes cannot be waited for, and must not hold the check up.
bounded() {
    tenths=$(($1 * 10))
    shift
    "$@" &
    pid=$!
    while [ "$tenths" -gt 0 ]; do
        # An ended child stays a zombie (state Z) until waited for, so kill -0 cannot tell; /proc can.
        state="$(cut -d ' ' -f 3 "/proc/$pid/stat" 2>/dev/null)"
        if [ -z "$state" ] || [ "$state" = Z ]; then
            wait "$pid"
            return
        fi
        sleep 0.1
        tenths=$((tenths - 1))
    done
    kill -9 "$pid" 2>/dev/null
    return 124
}

# pattern SEED WORDS: writes the disk pattern (tests/guest/README.md) to stdout: WORDS little-endian 32-bit
# words, word j = SEED + j * 0x9e3779b1 mod 2^32. busybox awk computes in doubles, exact below 2^53, and
# prints bytes as hex that xxd turns into binary (awk's printf cannot write a NUL byte).
pattern() {
    awk -v seed="$(($1 & 0xffffffff))" -v words="$2" 'BEGIN {
        w = seed + 0
        for (j = 0; j < words; j++) {
            printf "%02x%02x%02x%02x", w % 256, int(w / 256) % 256, int(w / 65536) % 256, int(w / 16777216)
            w = (w + 2654435761) % 4294967296
            if (j % 16 == 15) printf "\n"
        }
    }' | xxd -r -p
}

# first_difference EXPECTED ACTUAL [FIRST-SECTOR]: where two files first differ, for a FAIL detail: the byte
# offset in the files and its sector on the disk, whose first sector is FIRST-SECTOR (default 0).
first_difference() {
    at="$(cmp "$1" "$2" 2>&1 | sed -n 's/.*differ: char \([0-9]*\).*/\1/p')"
    if [ -n "$at" ]; then
        at=$((at - 1)) # cmp counts from 1
        echo "first difference at byte $at (sector $((${3:-0} + at / 512))): expected 0x$(od -An -tx1 -j "$at" -N 1 "$1" | tr -d ' '), got 0x$(od -An -tx1 -j "$at" -N 1 "$2" | tr -d ' ')"
    else
        cmp "$1" "$2" 2>&1 | head -n 1 # one file is shorter
    fi
}
