package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestCrossBuildRunsUnderQEMU builds hsctl for the targets (Pi 3 class armv7,
// Pi 4 class arm64, as make cross does) and runs it under qemu-user: --help,
// and a probe of the simulated board, which runs the drivers and chip models
// on the target architecture. It needs qemu-user-static (a CI dependency).
func TestCrossBuildRunsUnderQEMU(t *testing.T) {
	if testing.Short() {
		t.Skip("cross builds take a while")
	}
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	for _, tc := range []struct {
		arch, arm, qemu string
	}{
		{"arm", "7", "qemu-arm-static"},
		{"arm64", "", "qemu-aarch64-static"},
	} {
		t.Run(tc.arch, func(t *testing.T) {
			qemu, err := exec.LookPath(tc.qemu)
			if err != nil {
				t.Skipf("%s not installed (apt-get install qemu-user-static)", tc.qemu)
			}
			bin := filepath.Join(t.TempDir(), "hsctl")
			build := exec.Command(goBin, "build", "-trimpath", "-o", bin, ".")
			build.Env = append(build.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+tc.arch, "GOARM="+tc.arm)
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("go build: %v\n%s", err, out)
			}
			out, err := exec.Command(qemu, bin, "--help").CombinedOutput()
			if err != nil {
				t.Fatalf("hsctl --help under %s: %v\n%s", tc.qemu, err, out)
			}
			for _, want := range []string{"probe", "ports", "ring", "linetest", "regs", "calibrate", "sim"} {
				if !strings.Contains(string(out), want) {
					t.Errorf("--help lacks %q:\n%s", want, out)
				}
			}
			out, err = exec.Command(qemu, bin, "probe", "--board", "sim-8fxs").CombinedOutput()
			if err != nil || strings.Count(string(out), "in-service") != 8 {
				t.Errorf("probe under %s: %v\n%s", tc.qemu, err, out)
			}
		})
	}
}
