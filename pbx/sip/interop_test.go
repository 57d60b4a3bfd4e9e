package sip_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/hal/sim"
	"github.com/hookswitch/hookswitch/hal/sim/measure"
	"github.com/hookswitch/hookswitch/hal/sim/phone"
	"github.com/hookswitch/hookswitch/pbx"
	"github.com/hookswitch/hookswitch/pbx/dtmf"
	"github.com/hookswitch/hookswitch/pbx/media/g711"
	"github.com/hookswitch/hookswitch/pbx/sip"
)

// The interop tests run the PBX on a simulated board in real time, with its
// SIP side on loopback, and drive it with SIPp (Debian package sip-tester):
// a peer nobody here wrote. The analog phones are the sim board's.

const (
	carolPW = "Carol-Secret-200"
	toneHz  = 1000.0
)

type exchange struct {
	t   *testing.T
	p   *pbx.PBX
	b   *sim.Board
	srv *sip.Server
	dir string // SIPp's working directory, with tone.ul
}

func sippBin(t *testing.T) string {
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

// newExchange is the PBX of exchangeConfig on a realtime simulated board,
// with SIP listening; it needs SIPp.
func newExchange(t *testing.T) *exchange {
	t.Helper()
	sippBin(t)
	return newExchangeWith(t, exchangeConfig(), nil)
}

// writeTone writes 10 s of a 1 kHz µ-law tone at -10 dBm0-ish for rtp_stream.
func (x *exchange) writeTone() {
	pcm := make([]int16, 80000)
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*toneHz*float64(i)/8000))
	}
	ul := make([]byte, len(pcm))
	g711.PCMU.EncodeTo(ul, pcm)
	if err := os.WriteFile(filepath.Join(x.dir, "tone.ul"), ul, 0o644); err != nil {
		x.t.Fatal(err)
	}
}

func scenarioFile(name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	p, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "sip", name))
	return p
}

// sipp runs a SIPp scenario to completion and returns its error and logs.
type sippRun struct {
	cmd  *exec.Cmd
	out  strings.Builder
	done chan error
	dir  string
}

func (x *exchange) startSIPp(scenario string, args ...string) *sippRun {
	x.t.Helper()
	all := append([]string{"-sf", scenarioFile(scenario), "-nostdin", "-trace_err", "-trace_msg",
		"-timeout", "40s", "-timeout_error", "-max_recv_loops", "1000", "-i", "127.0.0.1", "-mi", "127.0.0.1"}, args...)
	r := &sippRun{done: make(chan error, 1), dir: x.dir}
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

func (x *exchange) wait(r *sippRun, what string) {
	x.t.Helper()
	select {
	case err := <-r.done:
		if err != nil {
			logs := ""
			files, _ := filepath.Glob(filepath.Join(r.dir, "*_errors.log"))
			files2, _ := filepath.Glob(filepath.Join(r.dir, "*_messages.log"))
			for _, f := range append(files, files2...) {
				b, _ := os.ReadFile(f)
				logs += "== " + filepath.Base(f) + "\n" + string(b)
			}
			x.t.Fatalf("%s: sipp failed: %v\n%s\n%s", what, err, r.out.String(), logs)
		}
	case <-time.After(60 * time.Second):
		x.t.Fatalf("%s: sipp did not finish", what)
	}
}

// logsOnFailure adds a SIPp scenario's logs to a failed test.
func (x *exchange) logsOnFailure(scenario string) {
	if !x.t.Failed() {
		return
	}
	files, _ := filepath.Glob(filepath.Join(x.dir, scenario+"_*.log"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		x.t.Logf("== %s\n%s", filepath.Base(f), b)
	}
}

func (x *exchange) target() string { return x.srv.Addr().String() }

func (x *exchange) phone(n int) *phone.Phone { return x.b.Phone(n) }

// until polls cond every 20 ms of wall time.
func (x *exchange) until(max time.Duration, what string, cond func() bool) {
	x.t.Helper()
	deadline := time.Now().Add(max)
	for !cond() {
		if time.Now().After(deadline) {
			x.t.Fatalf("%s: not within %v", what, max)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (x *exchange) calls() int {
	n := 0
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := x.p.Engine.Do(ctx, func() { n = len(x.p.Engine.Calls()) }); err != nil {
		x.t.Fatal(err)
	}
	return n
}

// TestSIPpCallsAnalogPort: a SIP phone calls extension 100 (port 1). The
// sim phone rings, shows the caller ID, is answered, hears the SIP side's
// tone, and the caller hangs up.
func TestSIPpCallsAnalogPort(t *testing.T) {
	x := newExchange(t)
	r := x.startSIPp("uac-call.xml", "-key", "user", "200", "-au", "200", "-ap", carolPW, "-s", "100",
		"-d", "3000", "-m", "1", x.target())
	ph := x.phone(1)
	x.until(10*time.Second, "port 1 rings", func() bool { return ph.Status().Ringing })
	x.until(8*time.Second, "caller ID shown", func() bool { return ph.Status().CallerID != nil })
	if cid := ph.Status().CallerID; cid.Number != "200" || cid.Name != "Carol SIPp" {
		t.Errorf("caller ID %+v, want 200 / Carol SIPp", cid)
	}
	ph.OffHook()
	time.Sleep(2 * time.Second)
	if p := measure.TonePower(ph.Recording(time.Second), toneHz); p < 0.8 {
		t.Errorf("port 1 hears the SIP tone at %.2f of its power, want ≥ 0.8", p)
	}
	x.wait(r, "call")
	x.until(3*time.Second, "call ended", func() bool { return x.calls() == 0 })
	x.until(3*time.Second, "busy tone after the far end hangs up", func() bool { return ph.Status().Heard == "busy" })
	ph.OnHook()
}

// TestSIPpAnalogHangsUp: the analog phone hangs up; the SIP phone gets BYE.
func TestSIPpAnalogHangsUp(t *testing.T) {
	x := newExchange(t)
	r := x.startSIPp("uac-call-remote-bye.xml", "-key", "user", "200", "-au", "200", "-ap", carolPW, "-s", "101",
		"-m", "1", x.target())
	ph := x.phone(2)
	x.until(10*time.Second, "port 2 rings", func() bool { return ph.Status().Ringing })
	ph.OffHook()
	time.Sleep(1500 * time.Millisecond)
	if x.calls() != 1 {
		t.Fatal("no call in progress")
	}
	ph.OnHook()
	x.wait(r, "BYE to the SIP phone")
	x.until(3*time.Second, "call ended", func() bool { return x.calls() == 0 })
}

// TestSIPpCancelWhileRinging: the SIP caller gives up; the port stops ringing.
func TestSIPpCancelWhileRinging(t *testing.T) {
	x := newExchange(t)
	r := x.startSIPp("uac-cancel.xml", "-key", "user", "200", "-au", "200", "-ap", carolPW, "-s", "102",
		"-m", "1", x.target())
	ph := x.phone(3)
	x.until(10*time.Second, "port 3 rings", func() bool { return ph.Status().Ringing })
	x.wait(r, "cancel")
	x.until(3*time.Second, "call ended", func() bool { return x.calls() == 0 })
	x.until(8*time.Second, "ringing stops", func() bool { return !ph.Status().Ringing })
}

// TestSIPpRefused: a busy port answers 486, an unknown number 404.
func TestSIPpRefused(t *testing.T) {
	x := newExchange(t)
	x.phone(4).OffHook() // port 4 (ext 103) is busy: off-hook, dialling
	time.Sleep(200 * time.Millisecond)
	for _, tc := range []struct{ number, code string }{{"103", "486"}, {"555", "404"}} {
		// SIPp takes no keyword in a response code: the test writes the code in.
		sc, err := os.ReadFile(scenarioFile("uac-refused.xml"))
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(x.dir, "refused-"+tc.code+".xml")
		if err := os.WriteFile(name, []byte(strings.ReplaceAll(string(sc), "[code]", tc.code)), 0o644); err != nil {
			t.Fatal(err)
		}
		r := x.startSIPp(name, "-key", "user", "200", "-au", "200", "-ap", carolPW,
			"-s", tc.number, "-m", "1", x.target())
		x.wait(r, fmt.Sprintf("call to %s refused %s", tc.number, tc.code))
	}
}

// TestAnalogCallsSIPPhone: port 1 dials 200, a SIP phone (SIPp) registered
// as 200 rings with the analog caller ID, answers and sends a tone the
// analog phone hears; the analog phone hangs up.
func TestAnalogCallsSIPPhone(t *testing.T) {
	x := newExchange(t)
	const uasPort = "5092"
	uas := x.startSIPp("uas-answer.xml", "-p", uasPort, "-mp", "6100", "-m", "1")
	reg := x.startSIPp("register-only.xml", "-key", "contact_port", uasPort, "-au", "200", "-ap", carolPW,
		"-s", "200", "-m", "1", "-p", "5093", x.target())
	x.wait(reg, "register")
	ph := x.phone(1)
	ph.OffHook()
	time.Sleep(300 * time.Millisecond)
	if err := ph.DialDTMF("200"); err != nil {
		t.Fatal(err)
	}
	defer x.logsOnFailure("uas-answer")
	x.until(10*time.Second, "answered", func() bool {
		n := 0
		_ = x.p.Engine.Do(context.Background(), func() {
			for _, c := range x.p.Engine.Calls() {
				if c.State.String() == "connected" {
					n++
				}
			}
		})
		return n == 1
	})
	time.Sleep(1500 * time.Millisecond)
	if p := measure.TonePower(ph.Recording(time.Second), toneHz); p < 0.8 {
		t.Errorf("port 1 hears the SIP phone's tone at %.2f of its power, want ≥ 0.8", p)
	}
	ph.OnHook()
	x.wait(uas, "SIP phone answered and got BYE")
	x.until(3*time.Second, "call ended", func() bool { return x.calls() == 0 })
}

// heardDigits runs a DTMF detector over what an analog phone heard.
func heardDigits(s []int16) string {
	det := dtmf.NewDetector()
	var out []byte
	var f [160]int16
	for i := 0; i+160 <= len(s); i += 160 {
		copy(f[:], s[i:i+160])
		if ev := det.Process(&f); ev.Kind == dtmf.KeyDown {
			out = append(out, ev.Digit)
		}
	}
	return string(out)
}

// TestSIPpDTMFAndHold: digits sent by RFC 4733 and by SIP INFO reach the
// analog phone as tones it hears; hold and resume are answered with the
// mirrored direction (RFC 3264 §6.1).
func TestSIPpDTMFAndHold(t *testing.T) {
	x := newExchange(t)
	if err := os.MkdirAll(filepath.Join(x.dir, "pcap"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/usr/share/sip-tester/dtmf_2833_5.pcap", filepath.Join(x.dir, "pcap", "dtmf_2833_5.pcap")); err != nil {
		t.Fatal(err)
	}
	r := x.startSIPp("uac-dtmf-hold.xml", "-key", "user", "200", "-au", "200", "-ap", carolPW, "-s", "100",
		"-m", "1", x.target())
	defer x.logsOnFailure("uac-dtmf-hold")
	ph := x.phone(1)
	x.until(10*time.Second, "port 1 rings", func() bool { return ph.Status().Ringing })
	ph.OffHook()
	x.wait(r, "DTMF, hold and resume")
	if got := heardDigits(ph.Recording(10 * time.Second)); got != "57" {
		t.Errorf("the analog phone heard digits %q, want \"57\" (RFC 4733 5, INFO 7)", got)
	}
	ph.OnHook()
}
