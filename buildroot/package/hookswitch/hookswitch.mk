################################################################################
#
# hookswitch
#
################################################################################

# The source is the repository this external tree lives in. Buildroot builds
# Go packages with -mod=vendor and vendors only downloaded sources, so run
# "go mod vendor" in the repository before building (buildroot/README.md).
HOOKSWITCH_VERSION = $(shell git -C $(BR2_EXTERNAL_HOOKSWITCH_PATH) describe --always --dirty 2>/dev/null || echo dev)
HOOKSWITCH_SITE = $(BR2_EXTERNAL_HOOKSWITCH_PATH)/..
HOOKSWITCH_SITE_METHOD = local
HOOKSWITCH_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = --exclude out --exclude output
HOOKSWITCH_GOMOD = github.com/hookswitch/hookswitch
HOOKSWITCH_BUILD_TARGETS = cmd/hookswitch cmd/hsctl cmd/hsinit
HOOKSWITCH_INSTALL_BINS = hookswitch hsctl hsinit
HOOKSWITCH_LDFLAGS = -s -w -X main.version=$(HOOKSWITCH_VERSION)

define HOOKSWITCH_INSTALL_INIT_SYSV
	$(INSTALL) -D -m 0755 $(HOOKSWITCH_PKGDIR)/S95hsinit \
		$(TARGET_DIR)/etc/init.d/S95hsinit
endef

$(eval $(golang-package))
