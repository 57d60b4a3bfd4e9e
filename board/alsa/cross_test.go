package alsa

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// TestLayoutOnTargets runs TestLayout compiled for 32-bit ARM and arm64 under
// qemu-user, where snd_pcm_hw_params and snd_xferi have other sizes.
func TestLayoutOnTargets(t *testing.T) {
	if testing.Short() || os.Getenv("ALSA_CROSS_CHILD") != "" {
		t.Skip()
	}
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	for _, tc := range []struct{ arch, arm, qemu string }{
		{"arm", "7", "qemu-arm-static"}, {"arm64", "", "qemu-aarch64-static"},
	} {
		t.Run(tc.arch, func(t *testing.T) {
			qemu, err := exec.LookPath(tc.qemu)
			if err != nil {
				t.Skipf("%s not installed", tc.qemu)
			}
			bin := filepath.Join(t.TempDir(), "alsa.test")
			build := exec.Command(goBin, "test", "-c", "-o", bin, ".")
			build.Env = append(build.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+tc.arch, "GOARM="+tc.arm)
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("go test -c: %v\n%s", err, out)
			}
			run := exec.Command(qemu, bin, "-test.run", "TestLayout$|TestFill|TestDevice", "-test.v")
			run.Env = append(run.Environ(), "ALSA_CROSS_CHILD=1")
			if out, err := run.CombinedOutput(); err != nil {
				t.Fatalf("under %s: %v\n%s", tc.qemu, err, out)
			}
		})
	}
}
