#!/usr/bin/env bash
# Builds and tests Glue: ./build.sh --help lists the targets (build/Targets.cs).
# On a fresh Debian machine it first installs the tools the test guests and the QEMU reference test need;
# the .NET SDK is expected on PATH.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Each needed command, and the Debian package that provides it.
declare -A packages=([gcc]=gcc [make]=make [ld]=binutils [qemu-system-x86_64]=qemu-system-x86 [iasl]=acpica-tools [cpio]=cpio [xz]=xz-utils)
packages[ping]=iputils-ping   # the net tests ping the guest from a network namespace (ip and python3 are there already)
packages[e2fsck]=e2fsprogs    # the Linux guest's reference test checks the file system the guest made (e2fsck, debugfs)
packages[gvnccapture]=gvncviewer packages[vncsnapshot]=vncsnapshot packages[djpeg]=libjpeg-turbo-progs  # Debian's VNC clients take Glue's screen in the display tests
missing=()
for command in "${!packages[@]}"; do
    command -v "$command" >/dev/null || missing+=("${packages[$command]}")
done
if ((${#missing[@]} > 0)); then
    echo "==> install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# The build program runs from the caller's directory, so a relative --manifest path means what was typed.
exec dotnet run --project "$root/build/Glue.Build.csproj" -c Release -v:quiet -- "$@"
