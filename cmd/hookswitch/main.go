// Command hookswitch is the firmware daemon: it opens the board, runs the
// PBX on it, and serves SIP and the management API.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/hookswitch/hookswitch/board"
	"github.com/hookswitch/hookswitch/hal/sim/simapi"
	"github.com/hookswitch/hookswitch/pbx"
	"github.com/hookswitch/hookswitch/pbx/api"
	"github.com/hookswitch/hookswitch/pbx/cdr"
	"github.com/hookswitch/hookswitch/pbx/config"
)

// version is stamped by the build: -ldflags "-X main.version=…".
var version = "dev"

// memoryLimit suits a 512 MB board; GOMEMLIMIT in the environment wins.
const memoryLimit = 256 << 20

// gcPercent lets the heap grow to five times what is live before a
// collection, the memory limit bounding it: a third less GC work per call
// at 1000 calls/s (pbx/sip's load test: 1.25 ms of CPU a call at the
// default 100, 1.06 ms at 400). GOGC in the environment wins.
const gcPercent = 400

func main() {
	cfgPath := flag.String("config", "", "configuration `file` (YAML); the embedded default when empty")
	dataDir := flag.String("data", "data", "`dir`ectory for runtime data")
	boardName := flag.String("board", "", "built-in board `name` or board file; overrides the configuration")
	logLevel := flag.String("log-level", "info", "debug, info, warn or error")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println("hookswitch", version)
		return
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(os.Stderr, "hookswitch: --log-level:", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	// sipgo reports some transport events through its package logger.
	sip.SetDefaultLogger(log.With("component", "sipgo"))
	if err := run(log, *cfgPath, *dataDir, *boardName); err != nil {
		log.Error("hookswitch stopped", "err", err)
		os.Exit(1)
	}
}

// adminPassword reads the unit's admin password, generated on first boot
// (cmd/hsinit) into DATA/secrets/admin-password; "" when there is none.
func adminPassword(dataDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "secrets", "admin-password"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("admin password: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// openCDR opens the call log in DATA/cdr. One that cannot be opened does
// not stop the daemon: the API then lists the engine's recent calls, which
// a restart forgets.
func openCDR(log *slog.Logger, c config.CDR, dataDir string) *cdr.Store {
	if !c.On() {
		log.Info("call log kept in memory only (cdr.enabled: false)")
		return nil
	}
	st, err := cdr.Open(filepath.Join(dataDir, "cdr"), cdr.Options{MaxBytes: c.MaxBytes(), Recent: c.Recent},
		log.With("part", "cdr"))
	if err != nil {
		log.Error("call log not kept on disk; recent calls are kept in memory only", "err", err)
		return nil
	}
	log.Info("call log", "dir", filepath.Join(dataDir, "cdr"), "last_call", st.LastID())
	return st
}

func closeCDR(log *slog.Logger, st *cdr.Store) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := st.Close(ctx)
	s := st.Stats()
	if err != nil || s.Dropped > 0 || s.Failed > 0 {
		log.Error("call log closed with records lost", "err", err, "written", s.Written, "dropped", s.Dropped,
			"failed", s.Failed)
	}
}

func run(log *slog.Logger, cfgPath, dataDir, boardName string) error {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	cfg := config.Default()
	if cfgPath != "" {
		var err error
		if cfg, err = config.Load(cfgPath); err != nil {
			return err
		}
	}
	if boardName != "" {
		cfg.Board = boardName
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}

	b, err := board.Open(cfg.Board, board.Options{Country: cfg.Country, Realtime: true})
	if err != nil {
		return err
	}
	defer b.Close()
	p, err := pbx.New(cfg, b, log)
	if err != nil {
		return err
	}
	if st := openCDR(log, cfg.CDR, dataDir); st != nil {
		p.UseCDR(st)
		// Runs after the engine has stopped (run waits for it): what is
		// still queued is written before the process exits.
		defer closeCDR(log, st)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	sipSrv, err := p.ListenSIP("hookswitch/"+version, time.Now)
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	api.Register(mux, p, version, time.Now())
	if x, err := board.NewInstaller(b); err == nil {
		api.RegisterInstaller(mux, board.InstallerJSON{X: x, Sleep: time.Sleep})
	} else {
		log.Info("installer endpoints off", "reason", err)
	}
	if s, ok := b.(board.Simulated); ok {
		simapi.Register(mux, s)
	}
	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		_ = sipSrv.Close(ctx)
		return fmt.Errorf("http: %w", err)
	}
	password, err := adminPassword(dataDir)
	if err != nil {
		_ = sipSrv.Close(ctx)
		return err
	}
	if password != "" {
		log.Info("management API requires the admin password", "user", api.AdminUser)
	}
	hs := &http.Server{Handler: api.RequireAdmin(mux, password), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http", "err", err)
			stop()
		}
	}()

	engineDone := make(chan error, 1)
	go func() { engineDone <- p.Run(ctx) }()
	log.Info("hookswitch ready", "version", version, "board", cfg.Board, "country", cfg.Country,
		"ports", len(b.Lines()), "sip", sipSrv.Addr().String(), "http", ln.Addr().String(), "data", dataDir)

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case runErr = <-engineDone:
		log.Error("engine stopped", "err", runErr)
	}
	stop()
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = errors.Join(hs.Shutdown(shut), p.Close(shut), sipSrv.Close(shut))
	if runErr == nil {
		runErr = <-engineDone
	}
	return errors.Join(runErr, err)
}
