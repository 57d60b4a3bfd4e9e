#!/bin/sh
# RAUC bundle checks on the offline images (make image):
#  - the built bundle verifies against the development keyring, signature and
#    payload ("rauc extract": "rauc info" checks only the signature, which
#    covers the manifest and the verity root hash, not the payload itself);
#  - a bundle with one byte changed in its payload is refused;
#  - a bundle with a changed signature is refused;
#  - a bundle signed by another key is refused;
#  - a bundle for another board (compatible) is readable but named as such.
# Environment: OUT (out). Exits non-zero on the first failure.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
OUT=${OUT:-out}
case "$OUT" in
	/*) ;;
	*) OUT="$repo/$OUT" ;;
esac
img="$OUT/image"
work="$img/bundle-test"
rm -rf "$work"
mkdir -p "$work"
keyring="$img/keys/dev.cert.pem"
good="$img/update-arm64.raucb"
[ -f "$good" ] || { echo "bundle-test: $good missing: run make image first" >&2; exit 1; }
failed=0
passed=0

ok() {
	passed=$((passed + 1))
	echo "bundle-test: ok  $*"
}

bad() {
	failed=$((failed + 1))
	echo "bundle-test: FAIL $*" >&2
}

# verify NAME BUNDLE: rauc checks the signature, then every payload block.
verify() {
	rm -rf "$work/$1.out"
	rauc --keyring "$keyring" extract "$2" "$work/$1.out" >"$work/$1.log" 2>&1
}

# reason NAME: rauc's error lines (its informational lines start "rauc-Message").
reason() {
	grep -v '^rauc-Message' "$work/$1.log" | head -n 1
}

# accepts NAME BUNDLE
accepts() {
	if verify "$1" "$2"; then
		ok "$1: verified"
	else
		bad "$1: refused: $(reason "$1")"
	fi
}

# refuses NAME BUNDLE PATTERN: refused, with an error matching PATTERN.
refuses() {
	if verify "$1" "$2"; then
		bad "$1: accepted"
	elif reason "$1" | grep -qiE "$3"; then
		ok "$1: refused: $(reason "$1")"
	else
		bad "$1: refused, but not for the expected reason: $(reason "$1")"
	fi
}

# flip FILE OFFSET: inverts one byte.
flip() {
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	# shellcheck disable=SC2059 # the format is the octal escape of the byte
	printf "$(printf '\\%03o' $((255 - b)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

accepts good "$good"

# The payload is the squashfs at the start of the bundle: a byte in its middle.
cp "$good" "$work/payload.raucb"
flip "$work/payload.raucb" $(($(stat -c %s "$good") / 3))
refuses tampered-payload "$work/payload.raucb" 'corrupt|verif'

# The CMS signature sits at the end, before its 8-byte size: a byte inside it.
cp "$good" "$work/signature.raucb"
flip "$work/signature.raucb" $(($(stat -c %s "$good") - 200))
refuses tampered-signature "$work/signature.raucb" 'signature verification failed'

# Signed with another key pair: the keyring does not know it.
"$repo/buildroot/board/hookswitch/common/mkdevkey.sh" "$work/other-key"
"$repo/buildroot/board/hookswitch/common/mkbundle.sh" "$img/rootfs-arm64.ext4" "$work/foreign.raucb" \
	hookswitch-qemu-arm64 foreign "$work/other-key/dev.cert.pem" "$work/other-key/dev.key.pem" >/dev/null 2>&1
refuses foreign-key "$work/foreign.raucb" 'signature verification failed.*certificate'

# Truncated in transfer.
head -c $(($(stat -c %s "$good") / 2)) "$good" > "$work/truncated.raucb"
refuses truncated "$work/truncated.raucb" 'invalid bundle|size'

if grep -q "^compatible=hookswitch-qemu-arm64$" "$work/good.out/manifest.raucm" &&
	cmp -s "$work/good.out/rootfs.ext4" "$img/rootfs-arm64.ext4"; then
	ok "good bundle: manifest names the board, payload is the built rootfs"
else
	bad "good bundle: manifest or payload differs from the build"
fi
rm -rf "$work"/*.out

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
