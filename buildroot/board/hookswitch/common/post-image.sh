#!/bin/sh
# Buildroot post-image script (BR2_ROOTFS_POST_IMAGE_SCRIPT).
# Arguments: BINARIES_DIR COMPATIBLE BOARD_DIR (BR2_ROOTFS_POST_SCRIPT_ARGS).
# Environment from Buildroot: BASE_DIR, BUILD_DIR, HOST_DIR, TARGET_DIR,
# BR2_EXTERNAL_HOOKSWITCH_PATH.
# Makes the chooser initramfs, the A/B sdcard.img and a signed update.raucb.
set -eu

images=$1
compatible=$2
board=$3
common="$BR2_EXTERNAL_HOOKSWITCH_PATH/board/hookswitch/common"
keys="$BASE_DIR/hookswitch-keys"
cert=${HOOKSWITCH_RAUC_CERT:-$keys/dev.cert.pem}
key=${HOOKSWITCH_RAUC_KEY:-$keys/dev.key.pem}
version=$(git -C "$BR2_EXTERNAL_HOOKSWITCH_PATH" describe --always --dirty 2>/dev/null || echo dev)

# The chooser initramfs: hsinit alone as /init. It mounts devtmpfs itself and
# then opens /dev/console, so the archive needs no device nodes.
initrd="$BUILD_DIR/hookswitch-initramfs"
rm -rf "$initrd"
mkdir -p "$initrd/dev" "$initrd/proc" "$initrd/sys" "$initrd/run" "$initrd/tmp" \
	"$initrd/data" "$initrd/newroot"
cp "$TARGET_DIR/usr/bin/hsinit" "$initrd/init"
"$common/mkinitramfs.sh" "$initrd" "$images/hsinit.cpio.gz"

# The board's firmware configuration replaces the rpi-firmware defaults.
cp "$board/config.txt" "$images/rpi-firmware/config.txt"
cp "$board/cmdline.txt" "$images/rpi-firmware/cmdline.txt"

# Every file of the boot partition: firmware, device trees, overlays, kernel.
files=""
for f in "$images"/rpi-firmware/* "$images"/*.dtb "$images"/Image "$images"/zImage "$images/hsinit.cpio.gz"; do
	[ -e "$f" ] || continue
	files="$files\"${f#"$images"/}\", "
done
files=${files%, }

cfg="$BUILD_DIR/genimage-hookswitch.cfg"
sed -e "s|@BOOT_FILES@|$files|" -e "s|@BOOT_SIZE@|64M|" \
	-e "s|@ROOT_SIZE@|256M|" -e "s|@DATA_SIZE@|256M|" -e "s|@ROOTFS@|rootfs.ext4|" \
	"$common/genimage.cfg.in" > "$cfg"

rootpath=$(mktemp -d)
trap 'rm -rf "$rootpath"' EXIT
rm -rf "$BUILD_DIR/genimage.tmp"
genimage --rootpath "$rootpath" --tmppath "$BUILD_DIR/genimage.tmp" \
	--inputpath "$images" --outputpath "$images" --config "$cfg"

"$common/mkbundle.sh" "$images/rootfs.ext4" "$images/update.raucb" \
	"$compatible" "$version" "$cert" "$key" "$HOST_DIR/bin/rauc"
