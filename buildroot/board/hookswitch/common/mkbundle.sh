#!/bin/sh
# Builds a signed RAUC bundle holding one root filesystem image.
# Usage: mkbundle.sh ROOTFS.ext4 OUT.raucb COMPATIBLE VERSION CERT KEY [RAUC]
# The bundle uses the verity format (RAUC >= 1.5), so an installer streams
# and checks it block by block; the rootfs goes to the inactive slot.
set -eu

rootfs=$1
out=$2
compatible=$3
version=$4
cert=$5
key=$6
rauc=${7:-rauc}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bundle"
cp "$rootfs" "$work/bundle/rootfs.ext4"
cat > "$work/bundle/manifest.raucm" <<MANIFEST
[update]
compatible=$compatible
version=$version
description=Hookswitch root filesystem

[bundle]
format=verity

[image.rootfs]
filename=rootfs.ext4
MANIFEST
rm -f "$out"
"$rauc" bundle --cert="$cert" --key="$key" "$work/bundle" "$out"
