package sip

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sippPath finds SIPp (Debian package sip-tester); CI installs it, so a
// missing binary fails there and skips elsewhere.
func sippPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("sipp")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("sipp not installed (Debian package sip-tester)")
		}
		t.Skip("sipp not installed (apt-get install sip-tester)")
	}
	return p
}

func scenario(name string) string {
	p, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "sip", name))
	return p
}

// runSIPp runs one SIPp scenario against target and fails the test with
// SIPp's output when it reports a failed call.
func runSIPp(t *testing.T, target string, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	base := []string{"-bg", "-nostdin", "-trace_err", "-trace_msg", "-timeout", "30s", "-timeout_error"}
	cmd := exec.Command(sippPath(t), append(append(base[2:], args...), target)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	logs := ""
	files, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		logs += "== " + filepath.Base(f) + "\n" + string(b)
	}
	if err != nil {
		t.Fatalf("sipp %s: %v\n%s\n%s", strings.Join(args, " "), err, out, logs)
	}
	return logs
}

func TestSIPpRegister(t *testing.T) {
	s := newServer(t, Opts{})
	runSIPp(t, s.Addr().String(), "-sf", scenario("register.xml"), "-s", "200",
		"-au", "200", "-ap", "Carol-Secret-200", "-m", "1", "-i", "127.0.0.1")
}
