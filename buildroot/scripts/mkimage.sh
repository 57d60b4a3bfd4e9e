#!/bin/sh
# Builds the offline firmware images from cross-compiled binaries and
# Debian's tools alone (no Buildroot): for each architecture, a root
# filesystem with hsinit as init, packed as an initramfs, an ext4 root image,
# an A/B sdcard.img, and a RAUC bundle signed with a development key.
#
# Environment: GO (go), VERSION (git describe), OUT (out), ARCHES ("arm64 armv7"),
# HOOKSWITCH_BIN_DIR (optional: take DIR/<arch>/hookswitch instead of building it).
# Output in $OUT/image/; see buildroot/README.md.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
common="$repo/buildroot/board/hookswitch/common"
GO=${GO:-go}
VERSION=${VERSION:-$(git -C "$repo" describe --always --dirty 2>/dev/null || echo dev)}
OUT=${OUT:-out}
ARCHES=${ARCHES:-arm64 armv7}
case "$OUT" in
	/*) ;;
	*) OUT="$repo/$OUT" ;;
esac
img="$OUT/image"
mkdir -p "$img"

# Files and the initramfs archive must be owned by root: run as root, or
# under fakeroot, whose state file carries ownership from step to step.
fr=""
if [ "$(id -u)" -ne 0 ]; then
	fr="fakeroot -i $img/fakeroot.state -s $img/fakeroot.state"
	: > "$img/fakeroot.state"
fi

SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || echo 0)}
export SOURCE_DATE_EPOCH

"$common/mkdevkey.sh" "$img/keys"

build() {
	goarch=$1
	goarm=$2
	bin=$3
	arch=$4
	mkdir -p "$bin"
	cmds="hookswitch hsctl hsinit"
	if [ -n "${HOOKSWITCH_BIN_DIR:-}" ]; then
		install -m 0755 "$HOOKSWITCH_BIN_DIR/$arch/hookswitch" "$bin/hookswitch"
		cmds="hsctl hsinit"
	fi
	for cmd in $cmds; do
		(cd "$repo" && CGO_ENABLED=0 GOOS=linux GOARCH="$goarch" GOARM="$goarm" \
			"$GO" build -trimpath -buildvcs=false -ldflags "-s -w -X main.version=$VERSION" \
			-o "$bin/$cmd" "./cmd/$cmd")
	done
}

# rootfs DIR BIN COMPATIBLE ROOTDEV_PREFIX: the system's files.
rootfs() {
	root=$1
	bin=$2
	compatible=$3
	disk=$4
	rm -rf "$root"
	mkdir -p "$root/usr/bin" "$root/sbin" "$root/etc/rauc" \
		"$root/dev" "$root/proc" "$root/sys" "$root/run" "$root/tmp" \
		"$root/data" "$root/boot" "$root/newroot"
	install -m 0755 "$bin/hookswitch" "$bin/hsctl" "$bin/hsinit" "$root/usr/bin/"
	ln -s ../usr/bin/hsinit "$root/sbin/init"
	ln -s usr/bin/hsinit "$root/init"
	cp -R "$common/rootfs-overlay/." "$root/"
	echo hookswitch > "$root/etc/hostname"
	printf 'NAME=Hookswitch\nID=hookswitch\nVERSION_ID=%s\n' "$VERSION" > "$root/etc/os-release"
	sed -e "s/@COMPATIBLE@/$compatible/" -e "s|/dev/mmcblk0p|/dev/${disk}|" \
		"$common/rauc-system.conf.in" > "$root/etc/rauc/system.conf"
	cp "$img/keys/dev.cert.pem" "$root/etc/rauc/keyring.pem"
}

# chooser DIR BIN: the initramfs of an A/B card, hsinit alone.
chooser() {
	rm -rf "$1"
	mkdir -p "$1/dev" "$1/proc" "$1/sys" "$1/run" "$1/tmp" "$1/data" "$1/newroot"
	install -m 0755 "$2/hsinit" "$1/init"
}

for arch in $ARCHES; do
	case "$arch" in
		arm64) goarch=arm64 goarm='' console=ttyAMA0 ;;
		armv7) goarch=arm goarm=7 console=ttyAMA0 ;;
		*) echo "mkimage: unknown arch $arch" >&2; exit 2 ;;
	esac
	a="$img/$arch"
	compatible="hookswitch-qemu-$arch"
	mkdir -p "$a"
	build "$goarch" "$goarm" "$a/bin" "$arch"
	rootfs "$a/rootfs" "$a/bin" "$compatible" vda
	chooser "$a/chooser" "$a/bin"

	# shellcheck disable=SC2016 # expanded by the inner shell
	$fr sh -c '
		set -eu
		mknod -m 0600 "$1/rootfs/dev/console" c 5 1
		mknod -m 0600 "$1/chooser/dev/console" c 5 1
		"$2/mkinitramfs.sh" "$1/rootfs" "$3/initramfs-$4.cpio.gz"
		"$2/mkinitramfs.sh" "$1/chooser" "$1/hsinit.cpio.gz"
		rm -f "$3/rootfs-$4.ext4"
		truncate -s 64M "$3/rootfs-$4.ext4"
		mke2fs -q -t ext4 -L rootfs -d "$1/rootfs" -E root_owner=0:0 \
			"$3/rootfs-$4.ext4"
	' mkimage "$a" "$common" "$img" "$arch"

	# The boot partition: the chooser and the command line (the kernel comes
	# from the QEMU command; on a Pi, post-image.sh adds firmware and kernel).
	printf 'console=%s hs.root=ab\n' "$console" > "$a/cmdline.txt"
	cat > "$a/README.txt" <<'TXT'
Hookswitch boot partition. Put a hookswitch.yaml here to configure the unit:
it is imported into /data/config/ at the next boot, and again whenever it changes.
TXT
	sed -e 's|@BOOT_FILES@|"hsinit.cpio.gz", "cmdline.txt", "README.txt"|' \
		-e 's|@BOOT_SIZE@|16M|' -e 's|@ROOT_SIZE@|64M|' -e 's|@DATA_SIZE@|32M|' \
		-e "s|@ROOTFS@|rootfs-$arch.ext4|" \
		"$common/genimage.cfg.in" > "$a/genimage.cfg"
	cp "$img/rootfs-$arch.ext4" "$a/"
	rm -rf "$a/genimage.tmp" "$a/genimage.root"
	mkdir -p "$a/genimage.root"
	genimage --rootpath "$a/genimage.root" --tmppath "$a/genimage.tmp" \
		--inputpath "$a" --outputpath "$a" --config "$a/genimage.cfg" >"$a/genimage.log" 2>&1 ||
		{ cat "$a/genimage.log" >&2; exit 1; }
	mv "$a/sdcard.img" "$img/sdcard-$arch.img"
	rm -rf "$a/genimage.tmp" "$a/genimage.root" "$a/rootfs-$arch.ext4" "$a/boot.vfat" "$a/data.ext4"

	"$common/mkbundle.sh" "$img/rootfs-$arch.ext4" "$img/update-$arch.raucb" \
		"$compatible" "$VERSION" "$img/keys/dev.cert.pem" "$img/keys/dev.key.pem" >"$a/rauc.log" 2>&1 ||
		{ cat "$a/rauc.log" >&2; exit 1; }
done

echo "firmware images ($VERSION) in $img:"
for f in "$img"/*.cpio.gz "$img"/*.ext4 "$img"/*.img "$img"/*.raucb; do
	[ -e "$f" ] || continue
	size=$(stat -c %s "$f")
	used=$(du -k "$f" | cut -f1)
	printf '  %-28s %6.1f MB  (%s KB on disk)\n' "${f##*/}" "$(echo "$size" | awk '{print $1/1048576}')" "$used"
done
