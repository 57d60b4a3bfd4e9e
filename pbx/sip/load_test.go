package sip_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/pbx"
	"github.com/hookswitch/hookswitch/pbx/core"
)

// The load tests measure the B2BUA under SIPp load: SIPp (uac, user 200)
// calls user 201, another SIPp (uas) answers; each call has digest auth and
// G.711 both ways through the engine (each SIPp streams a tone). They are
// run by hand (they take the machine) and report what they measured:
//
//	HOOKSWITCH_LOAD=200 HOOKSWITCH_LOAD_CALLS=2000 go test ./pbx/sip -run TestSIPpLoad -v
//	HOOKSWITCH_LOAD_CONCURRENT=1000 go test ./pbx/sip -run TestSIPpConcurrent -v -timeout 20m
//
// TestSIPpLoad: call setup rate. Each call lasts HOOKSWITCH_LOAD_HOLD ms
// (default 2000); the test fails on any failed call. CPU is the test
// process's (the whole PBX: engine, simulated board, SIP, RTP).
//
// TestSIPpConcurrent: N calls set up at HOOKSWITCH_LOAD (default 100/s),
// then a 10 s window with all of them bridged: CPU per relayed RTP packet
// (no signalling in the window) and how far the 20 ms engine tick fell
// behind the wall clock (a frame is late when the lag passes 20 ms).
// HOOKSWITCH_LOAD_PROFILE=file writes a CPU profile of the measured span.

var (
	sippCounter = regexp.MustCompile(`(Successful|Failed) call\s+\|\s+\d+\s+\|\s+(\d+)`)
	sippRate    = regexp.MustCompile(`Call Rate\s+\|\s+[\d.]+ cps\s+\|\s+([\d.]+) cps`)
)

// loadRun is a SIPp instance run without message tracing (which would cost
// SIPp more than the calls do).
type loadRun struct {
	cmd  *exec.Cmd
	out  strings.Builder
	done chan error
}

func (x *exchange) loadSIPp(scenario string, args ...string) *loadRun {
	x.t.Helper()
	all := append([]string{"-sf", scenarioFile(scenario), "-nostdin", "-timeout", "600s", "-timeout_error", "-trace_err",
		"-max_recv_loops", "10000", "-buff_size", "4194304", "-i", "127.0.0.1", "-mi", "127.0.0.1"}, args...)
	r := &loadRun{done: make(chan error, 1)}
	r.cmd = exec.Command(sippBin(x.t), all...)
	r.cmd.Dir = x.dir
	r.cmd.Stdout, r.cmd.Stderr = &r.out, &r.out
	if err := r.cmd.Start(); err != nil {
		x.t.Fatal(err)
	}
	go func() { r.done <- r.cmd.Wait() }()
	x.t.Cleanup(func() { _ = r.cmd.Process.Kill() })
	return r
}

// counts are SIPp's final successful and failed call counters.
func (r *loadRun) counts() (ok, failed int) {
	for _, m := range sippCounter.FindAllStringSubmatch(r.out.String(), -1) {
		n, _ := strconv.Atoi(m[2])
		if m[1] == "Successful" {
			ok = n
		} else {
			failed = n
		}
	}
	return ok, failed
}

// rate is the call rate SIPp reports over its whole run, the last calls'
// hold and hang-up included: below the rate asked for by about that tail,
// and by more when SIPp (sharing the machine) could not keep up.
func (r *loadRun) rate() float64 {
	m := sippRate.FindAllStringSubmatch(r.out.String(), -1)
	if len(m) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(m[len(m)-1][1], 64)
	return v
}

// cpuOf is a finished process's CPU time.
func cpuOf(c *exec.Cmd) time.Duration {
	if c.ProcessState == nil {
		return 0
	}
	return c.ProcessState.UserTime() + c.ProcessState.SystemTime()
}

// procCPU is a running process's CPU time so far (/proc/PID/stat utime and
// stime, in clock ticks of 10 ms on Linux).
func procCPU(c *exec.Cmd) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.Process.Pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return time.Duration(u+st) * 10 * time.Millisecond
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// lagWatch samples how far the engine's frames (paced by the simulated
// board) trail the wall clock.
type lagWatch struct {
	max, late atomic.Int64 // ns; samples more than one frame behind
	stop      chan struct{}
}

func (x *exchange) watchLag() *lagWatch {
	w := &lagWatch{stop: make(chan struct{})}
	wall0, sim0 := time.Now(), x.b.Now()
	go func() {
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-t.C:
			}
			lag := time.Since(wall0) - x.b.Now().Sub(sim0)
			if int64(lag) > w.max.Load() {
				w.max.Store(int64(lag))
			}
			if lag > 20*time.Millisecond {
				w.late.Add(1)
			}
		}
	}()
	return w
}

func (w *lagWatch) reset() { w.max.Store(0); w.late.Store(0) }

// tickWatch measures how long each engine step works (wall time from its
// first OnTick hook to its last AfterTick hook before the RTP flush).
type tickWatch struct {
	start time.Time
	busy  []time.Duration // ring of the last steps
	n     int
	over  atomic.Int64 // steps that worked more than a frame
}

func (w *tickWatch) hook(p *pbx.PBX) {
	w.busy = make([]time.Duration, 1<<16)
	p.Engine.OnTick(func(time.Time) { w.start = time.Now() })
	p.Engine.AfterTick(func(time.Time) {
		d := time.Since(w.start)
		w.busy[w.n%len(w.busy)] = d
		w.n++
		if d > 20*time.Millisecond {
			w.over.Add(1)
		}
	})
}

// summary is the step time's 50th, 99th percentile and maximum over the
// recorded steps; read it once the engine has stopped or between steps.
func (w *tickWatch) summary(x *exchange) string {
	var ds []time.Duration
	_ = x.p.Engine.Do(context.Background(), func() {
		ds = slices.Clone(w.busy[:min(w.n, len(w.busy))])
	})
	if len(ds) == 0 {
		return "no steps"
	}
	slices.Sort(ds)
	return fmt.Sprintf("engine step p50 %v, p99 %v, max %v, %d steps over 20 ms",
		ds[len(ds)/2].Round(10*time.Microsecond), ds[len(ds)*99/100].Round(10*time.Microsecond),
		ds[len(ds)-1].Round(10*time.Microsecond), w.over.Load())
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}

// startLoad registers the answering SIPp as user 201 and returns it.
func (x *exchange) startLoadUAS() *loadRun {
	uas := x.loadSIPp("uas-load.xml", "-p", "5094", "-mp", "16000")
	reg := x.startSIPp("register-only.xml", "-key", "contact_port", "5094", "-au", "201", "-ap", "Dan-Secret-201",
		"-s", "201", "-m", "1", "-p", "5095", x.target())
	x.wait(reg, "register")
	return uas
}

func (x *exchange) startLoadUAC(rate, calls, hold int) *loadRun {
	return x.loadSIPp("uac-call.xml", "-key", "user", "200", "-au", "200", "-ap", carolPW, "-s", "201",
		"-d", strconv.Itoa(hold), "-r", strconv.Itoa(rate), "-m", strconv.Itoa(calls), "-l", "100000",
		"-p", "5096", "-mp", "26000", x.target())
}

func TestSIPpLoad(t *testing.T) {
	if os.Getenv("HOOKSWITCH_LOAD") == "" {
		t.Skip("set HOOKSWITCH_LOAD=calls per second to run the load test")
	}
	rate := envInt(t, "HOOKSWITCH_LOAD", 0)
	calls := envInt(t, "HOOKSWITCH_LOAD_CALLS", 1000)
	hold := envInt(t, "HOOKSWITCH_LOAD_HOLD", 2000)
	daemonGC(t)
	ticks := &tickWatch{}
	x := newExchangeWith(t, exchangeConfig(), ticks.hook)
	uas := x.startLoadUAS()
	lag := x.watchLag()
	defer close(lag.stop)
	stop := profile(t)
	cpu0, start := selfCPU(), time.Now()
	uac := x.startLoadUAC(rate, calls, hold)
	err := <-uac.done
	stop()
	wall, cpu := time.Since(start), selfCPU()-cpu0
	ok, failed := uac.counts()
	x.until(60*time.Second, "calls ended", func() bool { return x.calls() == 0 })
	_ = uas.cmd.Process.Kill()
	<-uas.done
	// Each call relays 50 packets/s each way for its hold time.
	pkts := float64(ok) * float64(hold) / 1000 * 50 * 2
	t.Log(x.mediaSummary())
	t.Log(ticks.summary(x))
	t.Logf("%d calls at %d/s (hold %d ms; SIPp's mean rate %.0f/s): %d successful, %d failed, in %v wall; hookswitch CPU %v = %.0f%% of one core, "+
		"%v per call, %.2f µs per relayed RTP packet (signalling included); SIPp CPU uac %v, uas %v; engine lag max %v, %d samples >20 ms, %d frames skipped",
		calls, rate, hold, uac.rate(), ok, failed, wall.Round(time.Millisecond), cpu.Round(time.Millisecond), 100*cpu.Seconds()/wall.Seconds(),
		(cpu / time.Duration(max(ok, 1))).Round(time.Microsecond), cpu.Seconds()*1e6/max(pkts, 1),
		cpuOf(uac.cmd).Round(time.Millisecond), cpuOf(uas.cmd).Round(time.Millisecond),
		time.Duration(lag.max.Load()).Round(time.Millisecond), lag.late.Load(), x.b.Skipped())
	if err != nil || failed > 0 || ok != calls {
		tail := uac.out.String()
		if i := strings.LastIndex(tail, "Scenario Screen"); i > 0 {
			tail = tail[i:]
		}
		files, _ := filepath.Glob(filepath.Join(x.dir, "*_errors.log"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			if len(b) > 4000 {
				b = b[:4000]
			}
			tail += "\n" + string(b)
		}
		t.Fatalf("SIPp: %v, %d of %d calls successful, %d failed\n%s", err, ok, calls, failed, tail)
	}
}

// mediaSummary averages the SIP legs' media figures over the recent call
// records: proof that the packets went where they belong.
func (x *exchange) mediaSummary() string {
	var legs, rx, tx, lost, late, mostTx int64
	var mos float64
	var longest time.Duration
	for _, r := range x.records() {
		if !r.Answered.IsZero() {
			longest = max(longest, r.Ended.Sub(r.Answered))
		}
		for _, l := range []*core.MediaStats{r.A.Media, r.B.Media} {
			if l == nil {
				continue
			}
			legs++
			rx += int64(l.PacketsReceived)
			tx += int64(l.PacketsSent)
			mostTx = max(mostTx, int64(l.PacketsSent))
			lost += l.Lost
			late += int64(l.Late)
			mos += l.MOS
		}
	}
	if legs == 0 {
		return "no media records"
	}
	return fmt.Sprintf("last %d legs: %d packets received and %d sent a leg on average (most sent %d, longest call %v), %d lost, %d late in all, mean MOS %.2f",
		legs, rx/legs, tx/legs, mostTx, longest.Round(time.Millisecond), lost, late, mos/float64(legs))
}

// daemonGC sets the garbage collector as cmd/hookswitch does (gcPercent)
// for the test; GOGC in the environment wins.
func daemonGC(t *testing.T) {
	if os.Getenv("GOGC") == "" {
		old := debug.SetGCPercent(400)
		t.Cleanup(func() { debug.SetGCPercent(old) })
	}
}

// profile starts the CPU profile HOOKSWITCH_LOAD_PROFILE names, if any, and
// returns its stop.
func profile(t *testing.T) (stop func()) {
	f := os.Getenv("HOOKSWITCH_LOAD_PROFILE")
	if f == "" {
		return func() {}
	}
	out, err := os.Create(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		t.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = out.Close()
	}
}

func TestSIPpConcurrent(t *testing.T) {
	if os.Getenv("HOOKSWITCH_LOAD_CONCURRENT") == "" {
		t.Skip("set HOOKSWITCH_LOAD_CONCURRENT=calls to run the concurrency test")
	}
	n := envInt(t, "HOOKSWITCH_LOAD_CONCURRENT", 0)
	rate := envInt(t, "HOOKSWITCH_LOAD", 100)
	daemonGC(t)
	const window = 10 * time.Second
	hold := int((time.Duration(n)*time.Second/time.Duration(rate) + window + 5*time.Second) / time.Millisecond)
	ticks := &tickWatch{}
	x := newExchangeWith(t, exchangeConfig(), ticks.hook)
	uas := x.startLoadUAS()
	uac := x.startLoadUAC(rate, n, hold)
	x.until(time.Duration(hold)*time.Millisecond, fmt.Sprintf("%d calls up", n), func() bool { return x.connected() == n })
	time.Sleep(time.Second) // the last calls' media settles
	lag := x.watchLag()
	defer profile(t)()
	cpu0, uac0, uas0, start := selfCPU(), procCPU(uac.cmd), procCPU(uas.cmd), time.Now()
	time.Sleep(window)
	cpu, wall := selfCPU()-cpu0, time.Since(start)
	uacCPU, uasCPU := procCPU(uac.cmd)-uac0, procCPU(uas.cmd)-uas0
	up := x.connected()
	close(lag.stop)
	t.Log(ticks.summary(x))
	err := <-uac.done
	ok, failed := uac.counts()
	_ = uas.cmd.Process.Kill()
	<-uas.done
	pkts := float64(n) * wall.Seconds() * 50 * 2
	t.Logf("%d concurrent bridged calls (%d still up at the end of the window): hookswitch CPU %.0f%% of one core, "+
		"%.2f µs per relayed RTP packet, %.2f per packet in or out (no signalling in the window); engine lag max %v, %d of %d samples >20 ms, %d frames skipped; "+
		"SIPp uac %.0f%%, uas %.0f%% of one core; %d calls successful, %d failed",
		n, up, 100*cpu.Seconds()/wall.Seconds(), cpu.Seconds()*1e6/pkts, cpu.Seconds()*1e6/(2*pkts),
		time.Duration(lag.max.Load()).Round(100*time.Microsecond), lag.late.Load(), int(wall/(2*time.Millisecond)), x.b.Skipped(),
		100*uacCPU.Seconds()/wall.Seconds(), 100*uasCPU.Seconds()/wall.Seconds(), ok, failed)
	if err != nil || failed > 0 {
		t.Errorf("SIPp: %v, %d failed", err, failed)
	}
}
