package main

import (
	"strings"
	"time"
)

// Filesystem labels written by genimage.cfg.in (buildroot/board/hookswitch/common/).
const (
	LabelBoot = "HSBOOT"
	LabelData = "hsdata"
)

// Options are hsinit's settings, read from the kernel command line so that
// the same binary serves QEMU, the Pi and a netboot without a config file.
type Options struct {
	AB            bool          // hs.root=ab: boot from root slot A or B on disk
	RootWait      time.Duration // hs.rootwait=: how long to wait for the partitions
	HealthTimeout time.Duration // hs.health_timeout=: a tried slot must be healthy by then
	Board         string        // hs.board=: passed to hookswitch --board
	Init          string        // hs.init=: program the chooser executes in the new root
}

// ParseCmdline reads the hs.* keys of a kernel command line; unknown keys and
// malformed values keep the defaults, because a typo on a boot partition must
// never stop the box from booting.
func ParseCmdline(cmdline string) Options {
	o := Options{RootWait: 10 * time.Second, HealthTimeout: 120 * time.Second, Init: "/sbin/init"}
	for _, f := range strings.Fields(cmdline) {
		k, v, ok := strings.Cut(f, "=")
		if !ok || !strings.HasPrefix(k, "hs.") {
			continue
		}
		switch k {
		case "hs.root":
			o.AB = v == "ab"
		case "hs.rootwait":
			if d, err := time.ParseDuration(v); err == nil {
				o.RootWait = d
			}
		case "hs.health_timeout":
			if d, err := time.ParseDuration(v); err == nil && d > 0 {
				o.HealthTimeout = d
			}
		case "hs.board":
			o.Board = v
		case "hs.init":
			if strings.HasPrefix(v, "/") {
				o.Init = v
			}
		}
	}
	return o
}
