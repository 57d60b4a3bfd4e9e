package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary play the daemon (HSINIT_FAKE_DAEMON=mode),
// so the supervisor is tested against a real child process.
func TestMain(m *testing.M) {
	if mode := os.Getenv("HSINIT_FAKE_DAEMON"); mode != "" {
		os.Exit(fakeDaemon(mode))
	}
	os.Exit(m.Run())
}

func fakeDaemon(mode string) int {
	if mode == "crash" {
		fmt.Fprintln(os.Stderr, `level=ERROR msg="cannot open board"`)
		return 3
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 1
	}
	status := http.StatusOK
	if mode == "unhealthy" {
		status = http.StatusServiceUnavailable
	}
	go func() {
		_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/api/v1/health" {
				http.NotFound(w, r)
				return
			}
			w.WriteHeader(status)
		}))
	}()
	// The listen address printed as 0.0.0.0 checks that the supervisor dials loopback.
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	fmt.Fprintf(os.Stderr, "time=2026-01-01T00:00:00Z level=INFO msg=\"hookswitch ready\" version=v0 sip=0.0.0.0:5060 http=0.0.0.0:%s\n", port)
	<-sig
	return 0
}

// syncBuffer is a console that tests read while the supervisor writes.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// requireChildExec skips when the test binary cannot start itself: under
// user-mode emulation (go test -exec qemu-aarch64-static) without binfmt_misc
// the kernel cannot run the foreign binary a child would exec.
func requireChildExec(t *testing.T, exe string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), "HSINIT_FAKE_DAEMON=crash")
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Skipf("the test binary cannot run itself as a child here (%v): supervisor tests need a native or binfmt_misc run", err)
	}
}

func newSupervisor(t *testing.T, mode string, sleep func(context.Context, time.Duration) error) (*Supervisor, *syncBuffer) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	requireChildExec(t, exe)
	r := NewReaper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go r.Run(ctx)
	console := &syncBuffer{}
	return &Supervisor{
		Path:    exe,
		Args:    []string{"-test.run=^$"},
		Env:     append(os.Environ(), "HSINIT_FAKE_DAEMON="+mode),
		Console: console,
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Reaper:  r,
		Sleep:   sleep,
		Client:  &http.Client{Timeout: time.Second},
		Stop:    2 * time.Second,
	}, console
}

func TestSupervisorReportsHealthyOnceAndStops(t *testing.T) {
	s, console := newSupervisor(t, "ready", sleepCtx)
	healthy := make(chan string, 2)
	s.Healthy = func(addr string) { healthy <- addr }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var addr string
	select {
	case addr = <-healthy:
	case <-time.After(20 * time.Second):
		t.Fatal("Healthy never called")
	}
	if !strings.HasPrefix(addr, "0.0.0.0:") {
		t.Fatalf("Healthy(%q): want the daemon's http= value", addr)
	}
	if !strings.Contains(console.String(), readyMarker) {
		t.Fatalf("daemon stderr not copied to the console: %q", console.String())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after cancel: daemon not stopped")
	}
	if len(healthy) != 0 {
		t.Fatal("Healthy called more than once")
	}
}

func TestSupervisorRestartsWithBackoff(t *testing.T) {
	var mu sync.Mutex
	var waits []time.Duration
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sleep := func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		waits = append(waits, d)
		if len(waits) == 5 {
			cancel()
			return context.Canceled
		}
		return nil
	}
	s, console := newSupervisor(t, "crash", sleep)
	s.Healthy = func(string) { t.Error("Healthy called for a crashing daemon") }
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{minBackoff, 2 * minBackoff, 4 * minBackoff, 8 * minBackoff, 16 * minBackoff}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Fatalf("backoff %v, want %v", waits, want)
	}
	if n := strings.Count(console.String(), "cannot open board"); n != 5 {
		t.Fatalf("daemon started %d times, want 5", n)
	}
}

func TestSupervisorUnhealthyDaemonNeverMarked(t *testing.T) {
	var polls atomic.Int32
	threeFailed := make(chan struct{})
	sleep := func(ctx context.Context, d time.Duration) error {
		if d == 250*time.Millisecond && polls.Add(1) == 3 { // the health poll interval
			close(threeFailed)
		}
		return sleepCtx(ctx, time.Millisecond)
	}
	s, _ := newSupervisor(t, "unhealthy", sleep)
	s.Healthy = func(string) { t.Error("Healthy called for a daemon answering 503") }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	<-threeFailed
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestLogfmtValue(t *testing.T) {
	tests := []struct{ line, key, want string }{
		{`level=INFO msg="hookswitch ready" version=v1 sip=0.0.0.0:5060 http=0.0.0.0:8080`, "http", "0.0.0.0:8080"},
		{`msg="hookswitch ready" http="[::]:8080" sip=x`, "http", "[::]:8080"},
		{`msg="hookswitch ready" xhttp=1 http=:80`, "http", ":80"},
		{`msg="hookswitch ready"`, "http", ""},
	}
	for _, tt := range tests {
		if got := logfmtValue(tt.line, tt.key); got != tt.want {
			t.Errorf("logfmtValue(%q, %q) = %q, want %q", tt.line, tt.key, got, tt.want)
		}
	}
}

func TestLocalAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0.0.0.0:8080":  "127.0.0.1:8080",
		"[::]:8081":     "127.0.0.1:8081",
		":8082":         "127.0.0.1:8082",
		"10.0.0.5:8083": "10.0.0.5:8083",
		"":              "127.0.0.1:8080",
	} {
		if got := localAddr(in); got != want {
			t.Errorf("localAddr(%q) = %q, want %q", in, got, want)
		}
	}
}
