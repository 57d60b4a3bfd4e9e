# Hookswitch: firmware for an FXS/PBX appliance.
GO       ?= go
VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
OUT      ?= out
CMDS     := ./cmd/hookswitch ./cmd/hsctl

.PHONY: all build cross run test test-go race bench lint fmt-check vet vendor clean

# The daemon's own packages, tested again as arm64 binaries under qemu-user.
CROSS_TEST_PKGS ?= ./pbx/ ./pbx/fxs/ ./pbx/core/... ./pbx/dtmf/ ./pbx/tone/ ./pbx/callerid/ \
	./pbx/dialplan/ ./pbx/config/ ./pbx/media/... ./hal/... ./drivers/...

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(OUT)/ $(CMDS)

# Static binaries for the targets: Raspberry Pi 3 class (armv7) and Pi 4 class (arm64).
cross:
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(OUT)/linux-arm/ $(CMDS)
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(OUT)/linux-arm64/ $(CMDS)

# The firmware on the simulated board with the embedded default configuration.
run:
	$(GO) run -ldflags '$(LDFLAGS)' ./cmd/hookswitch --data $(OUT)/data

# Every test: unit, DSP, in-process scenarios, the real daemon, real SIP
# peers, then the firmware image booted in QEMU and the arm64 build's tests.
test: test-go
	$(MAKE) image-lint image-test
	CGO_ENABLED=0 GOARCH=arm64 $(GO) test -exec qemu-aarch64-static $(CROSS_TEST_PKGS)

# The Go tests alone.
test-go: vet
	$(GO) test -timeout 25m ./...

# The control plane under the race detector.
race:
	$(GO) test -race -timeout 20m ./pbx/core/... ./pbx/fxs/... ./pbx/api/... ./hal/sim/... ./cmd/...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

lint: fmt-check vet

# Buildroot's golang-package builds with -mod=vendor (buildroot/README.md).
vendor:
	$(GO) mod vendor

clean:
	rm -rf $(OUT) vendor

-include buildroot/image.mk
