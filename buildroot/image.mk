# Firmware images without Buildroot; see buildroot/README.md.
# Included by the top-level Makefile, which defines GO, VERSION and OUT.
# Debian packages needed: buildroot/scripts/deps.txt.

.PHONY: image image-test image-bundle-test image-lint

# Static arm64 and armv7 binaries, rootfs, initramfs, A/B sdcard.img and a
# signed RAUC bundle per architecture, in $(OUT)/image/.
image:
	GO='$(GO)' VERSION='$(VERSION)' OUT='$(OUT)' buildroot/scripts/mkimage.sh

# Boots the images in QEMU (SIP answer, A/B update and rollback), then checks
# that bundles are verified and tampered or foreign ones refused.
image-test: image
	GO='$(GO)' OUT='$(OUT)' buildroot/scripts/image-test.sh
	OUT='$(OUT)' buildroot/scripts/bundle-test.sh

image-bundle-test: image
	OUT='$(OUT)' buildroot/scripts/bundle-test.sh

# shellcheck on every shell script of the tree and the check-package rules.
image-lint:
	GO='$(GO)' buildroot/scripts/lint.sh
