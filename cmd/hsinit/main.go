package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// version is stamped at build time (-ldflags "-X main.version=...").
var version = "dev"

// Fixed paths of the appliance's root filesystem.
const (
	daemonPath  = "/usr/bin/hookswitch"
	dataDir     = "/data"
	bootDir     = "/boot"
	etcDir      = "/etc"
	newRootDir  = "/newroot"
	stateFile   = dataDir + "/" + dirBootState + "/slot.json"
	stageEnv    = "HSINIT_STAGE"
	memLimitEnv = "GOMEMLIMIT"
	// defaultMemLimit leaves room for the kernel, page cache and hsinit on a
	// 512 MB board; the daemon's own setting wins when the environment has one.
	defaultMemLimit = "200MiB"
)

func main() {
	if os.Getpid() == 1 {
		runPID1()
		return
	}
	if len(os.Args) < 2 {
		usage(os.Stderr)
		os.Exit(2)
	}
	switch os.Args[1] {
	case "supervise":
		os.Exit(runSupervise())
	case "slot":
		os.Exit(runSlotCmd(os.Args[2:], os.Stdout, statePath()))
	case "rauc-backend":
		os.Exit(runRaucBackend(os.Args[2:], os.Stdout, statePath()))
	case "version", "--version":
		fmt.Println("hsinit", version)
	default:
		usage(os.Stderr)
		os.Exit(2)
	}
}

// statePath is the slot state file; HSINIT_STATE points the slot commands at
// another copy (a card image being prepared on a PC, the image boot test).
func statePath() string {
	if p := os.Getenv("HSINIT_STATE"); p != "" {
		return p
	}
	return stateFile
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: hsinit                  (as PID 1)
       hsinit supervise        provision /data, run and supervise hookswitch
       hsinit slot status|try A|B|mark-good [A|B]|mark-bad A|B
       hsinit rauc-backend get-primary|set-primary S|get-state S|set-state S good|bad|get-current
       hsinit version
`)
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, nil)).With("component", "hsinit")
}

// runPID1 is the whole life of the box: it never returns.
func runPID1() {
	mountErr := mountEarly()
	console := consoleFile()
	log := newLogger(console)
	log.Info("hsinit starting", "version", version, "uptime", uptime())
	if mountErr != nil {
		log.Error("early mounts", "err", mountErr)
	}
	if err := bringUpLoopback(); err != nil {
		log.Error("loopback", "err", err)
	}
	opts := ParseCmdline(readCmdline())
	if opts.AB && os.Getenv(stageEnv) != "root" {
		if err := chooseAndSwitch(opts, log); err != nil {
			log.Error("A/B boot failed, running from the initramfs", "err", err)
		}
	}
	ctx, stop := context.WithCancel(context.Background())
	var reboot atomic.Bool
	sig := make(chan os.Signal, 1)
	// BusyBox init's conventions, so "reboot" and "poweroff" work alike:
	// SIGTERM reboots, SIGUSR1 halts, SIGUSR2 powers off; SIGINT is Ctrl-Alt-Del.
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1, syscall.SIGUSR2)
	go func() {
		s := <-sig
		reboot.Store(s == syscall.SIGTERM || s == syscall.SIGINT)
		log.Info("shutting down", "signal", s.String(), "reboot", reboot.Load())
		stop()
	}()
	requestReboot := func() {
		reboot.Store(true)
		stop()
	}
	runSystem(ctx, opts, log, console, requestReboot)
	shutdown(reboot.Load())
}

// chooseAndSwitch is the initramfs stage of an A/B boot: pick the slot from
// the state on the data partition, record the choice, then become that root.
func chooseAndSwitch(opts Options, log *slog.Logger) error {
	disk, ok := waitAB(opts.RootWait)
	if !ok {
		return fmt.Errorf("no A/B disk (an ext4 partition labelled %s beside partitions %d and %d)", LabelData, partRootA, partRootB)
	}
	if err := mountPart(disk.Data, dataDir, false); err != nil {
		return err
	}
	st, err := LoadState(stateFile)
	if err != nil {
		log.Error("boot state unreadable, booting the default", "err", err)
	}
	slot, next := st.Choose()
	if err := SaveState(stateFile, next); err != nil {
		// Without a persisted Attempted a try could loop; boot the primary instead.
		log.Error("cannot record the boot choice, booting the primary", "err", err)
		slot = st.Primary
	}
	unix.Sync()
	root := disk.Root(slot)
	if err := mountPart(Partition{Dev: root.Dev, FS: FSExt4}, newRootDir, true); err != nil {
		return err
	}
	log.Info("booting root slot", "slot", slot, "dev", root.Dev, "trying", next.Attempted && next.Trying == slot, "fell_back_from", next.Failed)
	env := append(os.Environ(), stageEnv+"=root")
	err = switchRoot(newRootDir, []string{"/dev", "/proc", "/sys", "/run", "/tmp", dataDir}, opts.Init, env)
	_ = unix.Unmount(newRootDir, 0)
	return err
}

// runSupervise is "hsinit supervise" under BusyBox init (S95hsinit).
// start-stop-daemon -b leaves it no terminal, so it writes to /dev/console.
func runSupervise() int {
	console := io.Writer(os.Stderr)
	if f, err := os.OpenFile("/dev/console", os.O_WRONLY, 0); err == nil {
		defer f.Close()
		console = f
	}
	log := newLogger(console)
	opts := ParseCmdline(readCmdline())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	var rebootWanted atomic.Bool
	runSystem(ctx, opts, log, console, func() {
		rebootWanted.Store(true)
		stop()
	})
	if rebootWanted.Load() {
		if err := exec.Command("/sbin/reboot").Run(); err != nil {
			log.Error("reboot", "err", err)
			return 1
		}
	}
	return 0
}

// runSystem mounts what is missing, provisions /data, and supervises the
// daemon until ctx ends. requestReboot is called when a tried slot does not
// become healthy in time, so the next boot falls back.
func runSystem(ctx context.Context, opts Options, log *slog.Logger, console io.Writer, requestReboot func()) {
	parts, _ := ScanPartitions("/sys/class/block", "/dev")
	disk, onDisk := FindAB(parts)
	if !isMountPoint(dataDir) {
		if p, ok := ByLabel(parts, LabelData); ok {
			if err := mountPart(p, dataDir, false); err != nil {
				log.Error("data partition", "err", err)
			}
		}
	}
	if !isMountPoint(dataDir) && os.Getpid() == 1 {
		log.Warn("no data partition: /data is in RAM and is lost at power off")
		_ = os.MkdirAll(dataDir, 0o755)
		_ = unix.Mount("tmpfs", dataDir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755")
	}
	layout := Layout{Data: dataDir, Etc: etcDir}
	boot, hasBoot := disk.Boot, onDisk && disk.Boot.FS == FSVFAT
	if !hasBoot {
		boot, hasBoot = ByLabel(parts, LabelBoot)
	}
	if isMountPoint(bootDir) {
		layout.Boot = bootDir
	} else if hasBoot {
		if err := mountPart(boot, bootDir, true); err != nil {
			log.Error("boot partition", "err", err)
		} else {
			layout.Boot = bootDir
		}
	}
	prov, err := Provision(layout, rand.Reader, time.Now())
	if err != nil {
		log.Error("provisioning", "err", err)
	}
	if banner := ProvisionBanner(prov); banner != "" {
		fmt.Fprint(console, banner)
	}
	if prov.FactoryReset {
		log.Info("factory reset done")
	}
	if prov.Imported {
		log.Info("configuration imported from the boot partition", "file", filepath.Join(bootDir, fileConfig))
	}
	for _, a := range addresses() {
		log.Info("address", "if", strings.Fields(a)[0], "addr", strings.Fields(a)[1])
	}

	slot, onSlot := currentSlot(disk, onDisk)
	var tryTimer *time.Timer
	if onSlot {
		st, _ := LoadState(stateFile)
		log.Info("running root slot", "slot", slot, "primary", st.Primary)
		if st.Trying == slot && st.Attempted {
			log.Info("slot on trial: it must be healthy in time or the next boot falls back",
				"slot", slot, "timeout", opts.HealthTimeout, "fallback", st.Primary)
			tryTimer = time.AfterFunc(opts.HealthTimeout, func() {
				log.Error("slot not healthy in time: rebooting into the previous slot", "slot", slot)
				requestReboot()
			})
		}
	}

	args := []string{"--data", dataDir}
	if prov.ConfigPath != "" {
		args = append(args, "--config", prov.ConfigPath)
	}
	if opts.Board != "" {
		args = append(args, "--board", opts.Board)
	}
	env := os.Environ()
	if os.Getenv(memLimitEnv) == "" {
		env = append(env, memLimitEnv+"="+defaultMemLimit)
	}
	if os.Getenv("PATH") == "" {
		env = append(env, "PATH=/usr/bin:/usr/sbin:/bin:/sbin")
	}
	// The reaper outlives ctx: stopping the daemon after ctx ends waits for
	// its exit status, and PID 1 must reap orphans until the very end.
	reaper := NewReaper()
	go reaper.Run(context.Background())
	sup := &Supervisor{
		Path: daemonPath, Args: args, Env: env, Console: console, Log: log, Reaper: reaper,
		Sleep: sleepCtx, Client: &http.Client{Timeout: 2 * time.Second}, Stop: 10 * time.Second,
		Healthy: func(addr string) {
			if tryTimer != nil {
				tryTimer.Stop()
			}
			if onSlot {
				markGood(log, slot)
			}
			log.Info("system ready", "uptime", uptime())
		},
	}
	if err := sup.Run(ctx); err != nil {
		log.Error("supervisor", "err", err)
		<-ctx.Done()
	}
}

func markGood(log *slog.Logger, slot Slot) {
	st, err := LoadState(stateFile)
	if err != nil {
		log.Error("mark good: boot state", "err", err)
		return
	}
	next := st.MarkGood(slot)
	if next == st {
		return
	}
	if err := SaveState(stateFile, next); err != nil {
		log.Error("mark good", "slot", slot, "err", err)
		return
	}
	log.Info("slot marked good", "slot", slot)
}

// uptime is the kernel's uptime, the clock for boot timings.
func uptime() string {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0] + "s"
}
