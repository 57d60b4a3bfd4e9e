package sip_test

import (
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestSIPpLoad measures the B2BUA under SIPp load: SIPp (uac, user 200)
// calls user 201, another SIPp (uas) answers; each call has digest auth,
// G.711 both ways through the engine, and lasts HOOKSWITCH_LOAD_HOLD ms.
// Run by hand (it takes the machine):
//
//	HOOKSWITCH_LOAD=200 HOOKSWITCH_LOAD_CALLS=2000 go test ./pbx/sip -run TestSIPpLoad -v
func TestSIPpLoad(t *testing.T) {
	rate := os.Getenv("HOOKSWITCH_LOAD")
	if rate == "" {
		t.Skip("set HOOKSWITCH_LOAD=calls per second to run the load test")
	}
	calls := os.Getenv("HOOKSWITCH_LOAD_CALLS")
	if calls == "" {
		calls = "1000"
	}
	hold := os.Getenv("HOOKSWITCH_LOAD_HOLD")
	if hold == "" {
		hold = "2000"
	}
	x := newExchange(t)
	uas := x.startSIPp("uas-load.xml", "-p", "5094", "-mp", "16000", "-rtp_echo")
	reg := x.startSIPp("register-only.xml", "-key", "contact_port", "5094", "-au", "201", "-ap", "Dan-Secret-201",
		"-s", "201", "-m", "1", "-p", "5095", x.target())
	x.wait(reg, "register")
	var ru0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	start := time.Now()
	uac := x.startSIPp("uac-call.xml", "-key", "user", "200", "-au", "200", "-ap", carolPW, "-s", "201",
		"-d", hold, "-r", rate, "-m", calls, "-l", "100000", "-p", "5096", "-mp", "26000", x.target())
	x.wait(uac, "load")
	wall := time.Since(start)
	var ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) * time.Nanosecond
	n, _ := strconv.Atoi(calls)
	h, _ := strconv.Atoi(hold)
	// Each call relays 50 packets/s each way for its hold time, through two legs.
	pkts := float64(n) * float64(h) / 1000 * 50 * 2
	t.Logf("%d calls at %s/s, 0 failed (SIPp exit 0), in %v wall; hookswitch CPU %v = %.0f%% of one core; "+
		"%v CPU per call, %.2f µs per relayed RTP packet (all CPU counted)",
		n, rate, wall.Round(time.Millisecond), cpu.Round(time.Millisecond), 100*cpu.Seconds()/wall.Seconds(),
		(cpu / time.Duration(n)).Round(time.Microsecond), cpu.Seconds()*1e6/pkts)
	_ = uas.cmd.Process.Kill()
}
