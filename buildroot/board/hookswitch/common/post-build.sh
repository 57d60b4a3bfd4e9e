#!/bin/sh
# Buildroot post-build script (BR2_ROOTFS_POST_BUILD_SCRIPT).
# Arguments: TARGET_DIR COMPATIBLE BOARD_DIR (BR2_ROOTFS_POST_SCRIPT_ARGS).
# Environment from Buildroot: BASE_DIR, BR2_EXTERNAL_HOOKSWITCH_PATH.
# Prepares the read-only root: mount points, RAUC's system.conf and keyring.
set -eu

target=$1
compatible=$2
common="$BR2_EXTERNAL_HOOKSWITCH_PATH/board/hookswitch/common"

# /data, /boot and the chooser's /newroot are mounted by hsinit.
mkdir -p "$target/data" "$target/boot" "$target/newroot"

# RAUC: this board's compatible string and the key bundles are checked with.
# HOOKSWITCH_RAUC_CERT names a release certificate; without it a development
# key pair is made once in the output directory (never in the source tree).
keys="$BASE_DIR/hookswitch-keys"
cert=${HOOKSWITCH_RAUC_CERT:-$keys/dev.cert.pem}
if [ -z "${HOOKSWITCH_RAUC_CERT:-}" ]; then
	"$common/mkdevkey.sh" "$keys"
fi
mkdir -p "$target/etc/rauc"
sed "s/@COMPATIBLE@/$compatible/" "$common/rauc-system.conf.in" > "$target/etc/rauc/system.conf"
cp "$cert" "$target/etc/rauc/keyring.pem"
