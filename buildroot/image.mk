# Firmware images without Buildroot; see buildroot/README.md.
# Included by the top-level Makefile, which defines GO, VERSION and OUT.
# Debian packages needed: buildroot/scripts/deps.txt.

.PHONY: image image-test image-bundle-test image-lint cross-test

# Packages cross-tested under user-mode QEMU (qemu-user-static); tests that
# re-execute their own binary skip themselves there (no binfmt_misc).
CROSS_TEST_PKGS ?= ./...

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

# The tests again as arm64 and armv7 binaries, to show the cross builds behave
# like the host build.
cross-test:
	CGO_ENABLED=0 GOARCH=arm64 $(GO) test -exec qemu-aarch64-static $(CROSS_TEST_PKGS)
	CGO_ENABLED=0 GOARCH=arm GOARM=7 $(GO) test -exec qemu-arm-static $(CROSS_TEST_PKGS)
