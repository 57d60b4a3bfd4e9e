#!/bin/sh
# Packs a directory as a gzip-compressed newc cpio, the format the kernel
# unpacks as an initramfs. Usage: mkinitramfs.sh ROOTDIR OUT.cpio.gz
# Run it as root or under fakeroot so that files are owned by root; with
# SOURCE_DATE_EPOCH set, timestamps are clamped for a reproducible archive.
set -eu

root=$1
out=$2
case "$out" in
	/*) ;;
	*) out="$PWD/$out" ;;
esac
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
	find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
fi
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null --create --format=newc --owner=0:0 --reproducible --quiet) |
	gzip -9 -n > "$out"
