package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/hal/sim/measure"
	"github.com/hookswitch/hookswitch/hal/sim/simapi"
	"github.com/hookswitch/hookswitch/hal/sim/wav"
)

// The daemon is built once for all tests here.
var daemonBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hookswitch-test")
	if err != nil {
		panic(err)
	}
	daemonBin = filepath.Join(dir, "hookswitch")
	if out, err := exec.Command("go", "build", "-o", daemonBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	u, err := net.ListenPacket("udp", l.Addr().String())
	if err != nil {
		return freePort(t)
	}
	u.Close()
	return l.Addr().String()
}

type daemon struct {
	t      *testing.T
	cmd    *exec.Cmd
	api    string
	stderr *bytes.Buffer
	done   chan error
}

type syncBuf struct {
	ch chan string
	b  *bytes.Buffer
}

func startDaemon(t *testing.T, country string) *daemon {
	t.Helper()
	return startDaemonIn(t, country, t.TempDir())
}

func startDaemonIn(t *testing.T, country, dataDir string) *daemon {
	t.Helper()
	httpAddr := freePort(t)
	cfg := fmt.Sprintf(`country: %s
board: sim-4fxs
sip:
  listen: %s
http:
  listen: %s
users:
  - ext: "100"
    name: Alice Analog
    port: 1
  - ext: "101"
    name: Bob Analog
    port: 2
`, country, freePort(t), httpAddr)
	path := filepath.Join(t.TempDir(), "hookswitch.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(daemonBin, "--config", path, "--data", dataDir)
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	d := &daemon{t: t, cmd: cmd, api: "http://" + httpAddr, stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		once := false
		for sc.Scan() {
			d.stderr.WriteString(sc.Text() + "\n")
			if !once && strings.Contains(sc.Text(), `msg="hookswitch ready"`) {
				once = true
				close(ready)
			}
		}
	}()
	go func() { d.done <- cmd.Wait(); pw.Close() }()
	select {
	case <-ready:
	case err := <-d.done:
		t.Fatalf("daemon exited: %v\n%s", err, d.stderr)
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("daemon not ready\n%s", d.stderr)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})
	return d
}

// stop sends SIGTERM and expects a clean exit.
func (d *daemon) stop() {
	d.t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		d.t.Fatal(err)
	}
	select {
	case err := <-d.done:
		if err != nil {
			d.t.Errorf("daemon exit after SIGTERM: %v\n%s", err, d.stderr)
		}
	case <-time.After(10 * time.Second):
		d.cmd.Process.Kill()
		d.t.Fatalf("daemon did not stop on SIGTERM\n%s", d.stderr)
	}
}

func (d *daemon) req(method, path string, body any, out any) {
	d.t.Helper()
	var rd io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ct = bytes.NewReader(b), "audio/wav"
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, d.api+path, rd)
	req.Header.Set("Content-Type", ct)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		d.t.Fatalf("%s %s: %s %s", method, path, res.Status, b)
	}
	switch o := out.(type) {
	case nil:
	case *[]byte:
		*o = b
	default:
		if err := json.Unmarshal(b, out); err != nil {
			d.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

func (d *daemon) port(n int) simapi.Port {
	var out struct {
		Ports []simapi.Port `json:"ports"`
	}
	d.req("GET", "/api/v1/sim/ports", nil, &out)
	return out.Ports[n-1]
}

// until polls the API until cond holds (the daemon runs on the wall clock).
func (d *daemon) until(max time.Duration, what string, cond func() bool) {
	d.t.Helper()
	deadline := time.Now().Add(max)
	for !cond() {
		if time.Now().After(deadline) {
			d.t.Fatalf("%s: not within %v", what, max)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (d *daemon) heard(n int) string { return d.port(n).Heard }

func wavTone(hz float64, secs float64) []byte {
	var b bytes.Buffer
	_ = wav.Encode(&b, measure.Sine(hz, int(secs*8000), 8000))
	return b.Bytes()
}

// heardTone checks the last second port n heard is mostly hz.
func (d *daemon) heardTone(n int, hz float64) {
	d.t.Helper()
	var b []byte
	d.req("GET", fmt.Sprintf("/api/v1/sim/ports/%d/audio?seconds=0.6", n), nil, &b)
	s, err := wav.Decode(b)
	if err != nil {
		d.t.Fatal(err)
	}
	if p := measure.TonePower(s, hz); p < 0.8 {
		d.t.Errorf("port %d: %v Hz has relative power %.2f in what it heard", n, hz, p)
	}
}

func TestDaemonCall(t *testing.T) {
	for _, country := range []string{"us", "uk", "de"} {
		t.Run(country, func(t *testing.T) {
			t.Parallel()
			d := startDaemon(t, country)
			var h map[string]any
			d.req("GET", "/api/v1/health", nil, &h)
			if h["status"] != "ok" {
				t.Fatalf("health %v", h)
			}
			for _, method := range []string{"dtmf", "pulse"} {
				d.req("POST", "/api/v1/sim/ports/1/hook", map[string]string{"action": "offhook"}, nil)
				d.until(5*time.Second, "port 1 hears dial tone", func() bool { return d.heard(1) == "dialtone" })
				var tones struct {
					Tones []struct {
						Tone  string    `json:"tone"`
						Start time.Time `json:"start"`
					} `json:"tones"`
					Hook []time.Time `json:"hook_changes"`
				}
				d.until(5*time.Second, "port 1 recognises dial tone by its cadence", func() bool {
					d.req("GET", "/api/v1/sim/ports/1/tones", nil, &tones)
					n := len(tones.Tones)
					return n > 0 && tones.Tones[n-1].Tone == "dialtone" && !tones.Tones[n-1].Start.Before(tones.Hook[len(tones.Hook)-1])
				})
				last := tones.Tones[len(tones.Tones)-1]
				if dt := last.Start.Sub(tones.Hook[len(tones.Hook)-1]); dt > 100*time.Millisecond {
					t.Errorf("%s: dial tone started %v after off-hook", method, dt)
				}

				d.req("POST", "/api/v1/sim/ports/1/dial", map[string]string{"digits": "101", "method": method}, nil)
				d.until(10*time.Second, "port 2 rings", func() bool { return d.port(2).Ringing })
				d.until(8*time.Second, "port 2 shows caller ID", func() bool { return d.port(2).CallerID != nil })
				if c := d.port(2).CallerID; c.Number != "100" || c.Name != "Alice Analog" {
					t.Errorf("caller ID %+v", c)
				}
				if h := d.heard(1); h != "ringback" {
					t.Errorf("caller hears %q", h)
				}
				d.req("POST", "/api/v1/sim/ports/2/hook", map[string]string{"action": "offhook"}, nil)
				d.until(3*time.Second, "port 2 stops ringing", func() bool { return !d.port(2).Ringing })

				d.req("POST", "/api/v1/sim/ports/1/play", wavTone(1000, 1.5), nil)
				time.Sleep(1200 * time.Millisecond)
				d.heardTone(2, 1000)
				d.req("POST", "/api/v1/sim/ports/2/play", wavTone(600, 1.5), nil)
				time.Sleep(1200 * time.Millisecond)
				d.heardTone(1, 600)

				d.req("POST", "/api/v1/sim/ports/1/hook", map[string]string{"action": "onhook"}, nil)
				d.until(5*time.Second, "port 2 hears busy", func() bool { return d.heard(2) == "busy" })
				d.req("POST", "/api/v1/sim/ports/2/hook", map[string]string{"action": "onhook"}, nil)
				d.until(5*time.Second, "no calls", func() bool {
					var c struct {
						Calls []any `json:"calls"`
					}
					d.req("GET", "/api/v1/calls", nil, &c)
					return len(c.Calls) == 0
				})
				time.Sleep(1500 * time.Millisecond) // both ports settle on-hook past the flash window
			}
			d.stop()
		})
	}
}

func TestBadConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte("country: us\nsip:\n  listen: 127.0.0.1:5060\n  lisen: oops\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(daemonBin, "--config", path, "--data", t.TempDir()).CombinedOutput()
	if err == nil {
		t.Fatalf("daemon accepted a bad config:\n%s", out)
	}
	if want := path + ":4: lisen: unknown key"; !strings.Contains(string(out), want) {
		t.Errorf("error does not name file, line and key (%q):\n%s", want, out)
	}
}

func TestVersion(t *testing.T) {
	out, err := exec.Command(daemonBin, "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "hookswitch ") {
		t.Errorf("--version: %v %q", err, out)
	}
}

// A provisioned unit (first boot wrote DATA/secrets/admin-password) guards
// its management API; the health check stays open for monitoring.
func TestAdminPassword(t *testing.T) {
	data := t.TempDir()
	if err := os.MkdirAll(filepath.Join(data, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "secrets", "admin-password"), []byte("k7Hq2mPx\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemonIn(t, "us", data)
	status := func(path, pass string) int {
		req, _ := http.NewRequest("GET", d.api+path, nil)
		if pass != "" {
			req.SetBasicAuth("admin", pass)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, c := range []struct {
		path, pass string
		want       int
	}{
		{"/api/v1/health", "", 200},
		{"/api/v1/ports", "", 401},
		{"/api/v1/sim/ports", "wrong", 401},
		{"/api/v1/sim/ports", "k7Hq2mPx", 200},
	} {
		if got := status(c.path, c.pass); got != c.want {
			t.Errorf("%s with %q: %d, want %d", c.path, c.pass, got, c.want)
		}
	}
	d.stop()
}
