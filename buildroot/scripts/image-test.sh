#!/bin/sh
# Boot smoke test of the offline firmware images (make image) in QEMU.
#
#  1. arm64 initramfs: the console shows the first-boot banner and the
#     daemon's "hookswitch ready" line, and a SIP OPTIONS sent to a forwarded
#     host port is answered 200. Boot-to-answer seconds are printed.
#  2. armv7 initramfs: the same 32-bit userland on the arm64 kernel (AArch32).
#  3. The A/B card: boots slot A, imports hookswitch.yaml from the boot
#     partition, keeps its secrets across a reboot; a
#     signed bundle lands in slot B, which is tried once and marked good; a
#     broken bundle installed into slot A is tried, is not healthy in time, and
#     the next boot falls back to slot B.
#
# The kernel is the gokrazy arm64 kernel, a Go module fetched through the Go
# module proxy at the pinned version below (virtio built in, no modules).
# Environment: OUT (out), GO (go), IMAGE_TEST_AB (1: run part 3).
# Exits non-zero on the first failure; every QEMU run is bounded in time.
set -eu

KERNEL_MODULE=github.com/gokrazy/kernel.arm64
KERNEL_VERSION=v0.0.0-20260705071517-37841c4d6ff1
BOOT_TIMEOUT=60   # seconds for one boot to answer SIP (about 3 s measured)

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
GO=${GO:-go}
OUT=${OUT:-out}
case "$OUT" in
	/*) ;;
	*) OUT="$repo/$OUT" ;;
esac
img="$OUT/image"
work="$img/test"
rm -rf "$work"
mkdir -p "$work"

fail() {
	echo "image-test: FAIL: $*" >&2
	if [ -n "${LOG:-}" ] && [ -f "$LOG" ]; then
		echo "---- last console lines ($LOG) ----" >&2
		tail -n 40 "$LOG" >&2
	fi
	exit 1
}

QPID=""
cleanup() {
	if [ -n "$QPID" ]; then
		kill "$QPID" 2>/dev/null || true
		wait "$QPID" 2>/dev/null || true
	fi
}
trap cleanup EXIT INT TERM

for f in "$img/initramfs-arm64.cpio.gz" "$img/sdcard-arm64.img" "$img/update-arm64.raucb"; do
	[ -f "$f" ] || fail "$f missing: run make image first"
done

# The kernel, hash-checked against the Go checksum database like any module.
kdir=$(cd "$work" && GOFLAGS=-mod=mod "$GO" mod download -json "$KERNEL_MODULE@$KERNEL_VERSION" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
KERNEL="$kdir/vmlinuz"
[ -f "$KERNEL" ] || fail "kernel $KERNEL_MODULE@$KERNEL_VERSION not found"

(cd "$repo" && "$GO" build -o "$work/sipping" ./cmd/hsinit/sipping && "$GO" build -o "$work/hsinit" ./cmd/hsinit) ||
	fail "cannot build the test helpers"

# qemu_start NAME INITRD APPEND [QEMU ARGS...]: boots in the background.
# Sets QPID, LOG, PORT.
qemu_start() {
	name=$1
	initrd=$2
	append=$3
	shift 3
	LOG="$work/$name.log"
	PORT=$("$work/sipping" -free-port)
	: > "$LOG"
	timeout 180 qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 512 \
		-display none -monitor none -serial "file:$LOG" -no-reboot \
		-kernel "$KERNEL" -initrd "$initrd" \
		-append "console=ttyAMA0 panic=-1 quiet ip=10.0.2.15::10.0.2.2:255.255.255.0:hookswitch:eth0:off $append" \
		-netdev "user,id=n0,hostfwd=udp:127.0.0.1:$PORT-:5060" \
		-device virtio-net-pci,netdev=n0,romfile= -device virtio-rng-pci \
		"$@" >"$work/$name.qemu.log" 2>&1 &
	QPID=$!
}

qemu_stop() {
	kill "$QPID" 2>/dev/null || true
	wait "$QPID" 2>/dev/null || true
	QPID=""
}

# qemu_wait_exit SECONDS: the guest rebooted (-no-reboot makes QEMU exit).
qemu_wait_exit() {
	n=0
	while kill -0 "$QPID" 2>/dev/null; do
		n=$((n + 1))
		[ "$n" -le "$(($1 * 10))" ] || fail "guest did not reboot within $1 s"
		sleep 0.1
	done
	wait "$QPID" 2>/dev/null || true
	QPID=""
}

# wait_log TEXT SECONDS: until the console shows TEXT.
wait_log() {
	n=0
	until grep -qF -- "$1" "$LOG"; do
		n=$((n + 1))
		[ "$n" -le "$(($2 * 10))" ] || fail "console never showed: $1"
		sleep 0.1
	done
}

expect_log() {
	grep -qF -- "$1" "$LOG" || fail "console lacks: $1"
}

refute_log() {
	if grep -qF -- "$1" "$LOG"; then
		fail "console shows: $1"
	fi
}

# sip_answer: OPTIONS to the forwarded port until 200; prints the seconds.
sip_answer() {
	out=$("$work/sipping" -addr "127.0.0.1:$PORT" -timeout "${BOOT_TIMEOUT}s") || fail "no SIP answer within $BOOT_TIMEOUT s"
	echo "$out" | sed -n 's/.* after \([0-9.]*\) s$/\1/p'
}

# boot_initramfs ARCH: part 1 and 2.
boot_initramfs() {
	qemu_start "initramfs-$1" "$img/initramfs-$1.cpio.gz" ""
	secs=$(sip_answer)
	wait_log 'msg="hookswitch ready"' 10
	wait_log 'msg="system ready"' 10
	expect_log "admin password:"
	expect_log "SIP realm secret:"
	expect_log "msg=address component=hsinit if=eth0 addr=10.0.2.15/24"
	qemu_stop
	up=$(sed -n 's/.*msg="system ready" component=hsinit uptime=\([0-9.]*\)s.*/\1/p' "$LOG")
	echo "image-test: ok  $1 initramfs: banner on the console, SIP OPTIONS answered 200; boot-to-SIP-answer ${secs} s (guest uptime at healthy: ${up} s)"
}

boot_initramfs arm64
if [ -f "$img/initramfs-armv7.cpio.gz" ]; then
	boot_initramfs armv7
fi

[ "${IMAGE_TEST_AB:-1}" = 1 ] || exit 0

# ---- Part 3: the A/B card ----
card="$work/card.img"
cp --sparse=always "$img/sdcard-arm64.img" "$card"
chooser="$img/arm64/hsinit.cpio.gz"
disk="-drive file=$card,if=none,format=raw,id=d0 -device virtio-blk-pci,drive=d0"

# part_geom N: sets POFF and PSIZE, the byte offset and size of partition N.
part_geom() {
	geom=$(partx -g -o START,SECTORS -n "$1" "$card") || fail "no partition $1 on the card"
	POFF=$(echo "$geom" | awk '{print $1 * 512}')
	PSIZE=$(echo "$geom" | awk '{print $2 * 512}')
}

# install_bundle BUNDLE SLOT: what RAUC does on the box, done from the host:
# verify the bundle, write its rootfs into SLOT's partition, mark SLOT to try once.
install_bundle() {
	rm -rf "$work/extract"
	rauc --keyring "$img/keys/dev.cert.pem" extract "$1" "$work/extract" >"$work/rauc-extract.log" 2>&1 ||
		fail "rauc refused $1: $(tail -n 3 "$work/rauc-extract.log")"
	case "$2" in A) part_geom 2 ;; B) part_geom 3 ;; esac
	[ "$(stat -c %s "$work/extract/rootfs.ext4")" -le "$PSIZE" ] || fail "rootfs larger than slot $2"
	dd if="$work/extract/rootfs.ext4" of="$card" bs=1M seek="$POFF" oflag=seek_bytes conv=notrunc status=none
	edit_state try "$2"
}

# edit_state ARGS...: "hsinit slot ARGS" on the card's data partition.
edit_state() {
	part_geom 4
	data="$work/data.ext4"
	dd if="$card" of="$data" bs=1M skip="$POFF" count="$PSIZE" iflag=skip_bytes,count_bytes status=none
	# The guest was stopped like a power cut: replay the journal first, or the
	# kernel's replay at the next mount would undo the edit.
	e2fsck -p "$data" >/dev/null 2>&1 || [ $? -lt 4 ] || fail "e2fsck of the data partition"
	debugfs -R "dump /boot/slot.json $work/slot.json" "$data" >/dev/null 2>&1 || rm -f "$work/slot.json"
	HSINIT_STATE="$work/slot.json" "$work/hsinit" slot "$@" || fail "hsinit slot $*"
	debugfs -w -f - "$data" >/dev/null 2>&1 <<CMDS
rm /boot/slot.json
write $work/slot.json /boot/slot.json
CMDS
	dd if="$data" of="$card" bs=1M seek="$POFF" oflag=seek_bytes conv=notrunc status=none
	printf 'image-test: slot state now: '
	HSINIT_STATE="$work/slot.json" "$work/hsinit" slot status
}

# boot_card NAME APPEND: boot the card and wait for a SIP answer.
boot_card() {
	# shellcheck disable=SC2086 # $disk is a list of QEMU arguments
	qemu_start "$1" "$chooser" "hs.root=ab hs.rootwait=5s $2" $disk
}

# An installer's hookswitch.yaml on the boot (FAT) partition, written as a PC would.
part_geom 1
sed 's/^country: us$/country: de/' "$repo/buildroot/board/hookswitch/common/rootfs-overlay/etc/hookswitch.yaml" > "$work/hookswitch.yaml"
grep -q '^country: de$' "$work/hookswitch.yaml" || fail "cannot prepare the boot partition config"
mcopy -o -i "$card@@$POFF" "$work/hookswitch.yaml" ::hookswitch.yaml || fail "mcopy to the boot partition"

boot_card ab-1 ""
secs=$(sip_answer)
wait_log 'msg="system ready"' 10
expect_log 'msg="booting root slot" component=hsinit slot=A'
expect_log "admin password:"
expect_log 'msg="configuration imported from the boot partition"'
expect_log 'country=de'
qemu_stop
echo "image-test: ok  A/B card boots slot A, imports hookswitch.yaml from the boot partition; boot-to-SIP-answer ${secs} s"

boot_card ab-2 ""
sip_answer >/dev/null
wait_log 'msg="system ready"' 10
expect_log 'slot=A'
refute_log "admin password:"
qemu_stop
echo "image-test: ok  second boot keeps the data partition: secrets not regenerated or shown again"

install_bundle "$img/update-arm64.raucb" B
boot_card ab-3 ""
sip_answer >/dev/null
wait_log 'msg="slot marked good" component=hsinit slot=B' 15
expect_log 'msg="booting root slot" component=hsinit slot=B'
expect_log 'trying=true'
qemu_stop
boot_card ab-4 ""
sip_answer >/dev/null
wait_log 'msg="system ready"' 10
expect_log 'msg="booting root slot" component=hsinit slot=B'
expect_log 'trying=false'
qemu_stop
echo "image-test: ok  signed bundle installed into slot B, tried once, marked good, B is now primary"

# A rootfs whose daemon cannot start: hookswitch replaced by hsinit, which
# exits with a usage error on the daemon's flags.
bad="$work/bad-rootfs"
rm -rf "$bad" && cp -a "$img/arm64/rootfs" "$bad"
cp "$img/arm64/bin/hsinit" "$bad/usr/bin/hookswitch"
rm -f "$work/bad-rootfs.ext4"
mke2fs -q -t ext4 -L rootfs -d "$bad" -E root_owner=0:0 "$work/bad-rootfs.ext4" 64M >/dev/null 2>&1
"$repo/buildroot/board/hookswitch/common/mkbundle.sh" "$work/bad-rootfs.ext4" "$work/bad.raucb" \
	hookswitch-qemu-arm64 broken "$img/keys/dev.cert.pem" "$img/keys/dev.key.pem" >/dev/null 2>&1
install_bundle "$work/bad.raucb" A
boot_card ab-5 "hs.health_timeout=8s"
wait_log 'msg="booting root slot" component=hsinit slot=A' "$BOOT_TIMEOUT"
wait_log 'msg="slot on trial' 20
wait_log 'msg="slot not healthy in time: rebooting into the previous slot"' 30
qemu_wait_exit 30
boot_card ab-6 ""
sip_answer >/dev/null
wait_log 'msg="system ready"' 10
expect_log 'msg="booting root slot" component=hsinit slot=B'
expect_log 'fell_back_from=A'
qemu_stop
echo "image-test: ok  broken update in slot A tried once, not healthy in time, next boot fell back to slot B"
echo "image-test: all passed"
