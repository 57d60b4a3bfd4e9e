package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// readyMarker is the daemon's structured log line once it listens
// (contract with cmd/hookswitch: msg="hookswitch ready" with keys version, sip, http).
const readyMarker = `msg="hookswitch ready"`

// Supervisor runs the daemon, copies its stderr to the console, restarts it
// when it exits, and reports the first healthy start.
type Supervisor struct {
	Path    string
	Args    []string
	Env     []string
	Console io.Writer
	Log     *slog.Logger
	Reaper  *Reaper
	// Healthy is called once, after the first GET /api/v1/health answered 200.
	Healthy func(httpAddr string)
	// Sleep waits between restarts; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Client is used for the health check.
	Client *http.Client
	// Stop is the grace time between SIGTERM and SIGKILL on shutdown.
	Stop time.Duration
}

// Restart backoff: doubles from minBackoff up to maxBackoff, and is reset by
// a run that lasted stableRun.
const (
	minBackoff = 500 * time.Millisecond
	maxBackoff = 30 * time.Second
	stableRun  = 60 * time.Second
)

// Run supervises the daemon until ctx ends, then stops it.
func (s *Supervisor) Run(ctx context.Context) error {
	backoff := minBackoff
	var healthy atomic.Bool
	for ctx.Err() == nil {
		started := time.Now()
		ready := make(chan string, 1)
		pid, exit, err := s.start(ready)
		if err != nil {
			return err
		}
		healthCtx, cancelHealth := context.WithCancel(ctx)
		go func() {
			select {
			case addr := <-ready:
				if !healthy.Load() && s.waitHealthy(healthCtx, addr) && healthy.CompareAndSwap(false, true) {
					if s.Healthy != nil {
						s.Healthy(addr)
					}
				}
			case <-healthCtx.Done():
			}
		}()
		var ws syscall.WaitStatus
		select {
		case ws = <-exit:
		case <-ctx.Done():
			ws = s.terminate(pid, exit)
		}
		cancelHealth()
		s.Log.Warn("daemon exited", "path", s.Path, "status", describeExit(ws), "ran", time.Since(started).Round(time.Millisecond))
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(started) >= stableRun {
			backoff = minBackoff
		}
		if err := s.Sleep(ctx, backoff); err != nil {
			return nil
		}
		backoff = min(2*backoff, maxBackoff)
	}
	return nil
}

// start launches the daemon with its stderr on a pipe scanned for the ready line.
func (s *Supervisor) start(ready chan<- string) (int, <-chan syscall.WaitStatus, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return 0, nil, fmt.Errorf("supervise: %w", err)
	}
	cmd := exec.Command(s.Path, s.Args...)
	cmd.Env = s.Env
	cmd.Stdout = os.Stdout
	cmd.Stderr = pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	s.Log.Info("starting daemon", "cmd", strings.Join(append([]string{s.Path}, s.Args...), " "))
	exit, err := s.Reaper.Start(cmd)
	pw.Close()
	if err != nil {
		pr.Close()
		return 0, nil, fmt.Errorf("supervise: %w", err)
	}
	go func() {
		defer pr.Close()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(s.Console, line)
			if !sent && strings.Contains(line, readyMarker) {
				sent = true
				ready <- logfmtValue(line, "http")
			}
		}
	}()
	return cmd.Process.Pid, exit, nil
}

// terminate stops the daemon's process group (it leads one: Setpgid),
// politely first.
func (s *Supervisor) terminate(pid int, exit <-chan syscall.WaitStatus) syscall.WaitStatus {
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	t := time.NewTimer(s.Stop)
	defer t.Stop()
	select {
	case ws := <-exit:
		return ws
	case <-t.C:
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	return <-exit
}

// waitHealthy polls GET /api/v1/health on the daemon's HTTP address until it
// answers 200 or ctx ends.
func (s *Supervisor) waitHealthy(ctx context.Context, addr string) bool {
	url := "http://" + localAddr(addr) + "/api/v1/health"
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			s.Log.Error("health check", "err", err)
			return false
		}
		resp, err := s.Client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64*1024))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.Log.Info("daemon healthy", "url", url)
				return true
			}
		}
		if s.Sleep(ctx, 250*time.Millisecond) != nil {
			return false
		}
	}
}

// localAddr turns a listen address into one to dial from the same box:
// an unspecified host (0.0.0.0, ::, "") becomes loopback.
func localAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil || port == "" {
		return "127.0.0.1:8080"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// logfmtValue returns the value of key in a log/slog text line (key=value or key="quoted").
func logfmtValue(line, key string) string {
	for rest := line; ; {
		i := strings.Index(rest, key+"=")
		if i < 0 {
			return ""
		}
		if i > 0 && rest[i-1] != ' ' {
			rest = rest[i+len(key)+1:]
			continue
		}
		v := rest[i+len(key)+1:]
		if strings.HasPrefix(v, `"`) {
			if end := strings.Index(v[1:], `"`); end >= 0 {
				return v[1 : end+1]
			}
			return v[1:]
		}
		if end := strings.IndexByte(v, ' '); end >= 0 {
			return v[:end]
		}
		return v
	}
}

func describeExit(ws syscall.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exit %d", ws.ExitStatus())
	case ws.Signaled():
		return "signal " + ws.Signal().String()
	}
	return fmt.Sprintf("status %#x", uint32(ws))
}

// sleepCtx is the Supervisor's default Sleep.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
