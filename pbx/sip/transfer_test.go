package sip_test

import (
	"context"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/hal/sim/measure"
	"github.com/hookswitch/hookswitch/pbx/core"
)

// Transfers between SIP phones (SIPp) and analog phones (the sim board's).

func rmsOf(s []int16) float64 {
	var sum float64
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	if len(s) == 0 {
		return 0
	}
	return math.Sqrt(sum / float64(len(s)))
}

// hears checks that analog port b hears a tone analog port a plays.
func (x *exchange) hears(a, b int, hz float64) {
	x.t.Helper()
	x.phone(a).Play(measure.Sine(hz, 8000, 8000))
	time.Sleep(900 * time.Millisecond)
	if p := measure.TonePower(x.phone(b).Recording(600*time.Millisecond), hz); p < 0.8 {
		x.t.Errorf("%v Hz from port %d reaches port %d at %.2f of its power, want ≥ 0.8", hz, a, b, p)
	}
	time.Sleep(200 * time.Millisecond)
}

// sipfrags are the NOTIFY bodies a uac-refer.xml run logged (-trace_logs).
func (x *exchange) sipfrags() []string {
	files, _ := filepath.Glob(filepath.Join(x.dir, "uac-refer_*_logs.log"))
	var out []string
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, line := range strings.Split(string(b), "\n") {
			if _, frag, ok := strings.Cut(line, "sipfrag "); ok {
				out = append(out, strings.TrimSpace(frag))
			}
		}
	}
	return out
}

// dialogFile waits for a uac-consult.xml run to write its dialog (a
// Replaces value) and returns it.
func (x *exchange) dialogFile(user, service string) string {
	x.t.Helper()
	name := filepath.Join(x.dir, "dialog-"+user+"-"+service+".txt")
	var v string
	x.until(10*time.Second, "the consultation call's dialog", func() bool {
		b, err := os.ReadFile(name)
		v = strings.TrimSpace(string(b))
		return err == nil && strings.Contains(v, "from-tag=")
	})
	return v
}

func (x *exchange) callList() []*core.Call {
	var cs []*core.Call
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := x.p.Engine.Do(ctx, func() { cs = x.p.Engine.Calls() }); err != nil {
		x.t.Fatal(err)
	}
	return cs
}

func (x *exchange) records() []core.Record {
	var rs []core.Record
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := x.p.Engine.Do(ctx, func() { rs = x.p.Engine.Recent() }); err != nil {
		x.t.Fatal(err)
	}
	return rs
}

// TestSIPpBlindTransfer: a SIP phone talking to port 1 transfers it to
// extension 101 with REFER (digest-challenged); port 1 hears ringback while
// port 2 rings, the phone gets NOTIFYs 100, 180, 200, and ports 1 and 2
// talk after the phone hangs up.
func TestSIPpBlindTransfer(t *testing.T) {
	x := newExchange(t)
	r := x.startSIPp("uac-refer.xml", "-key", "user", "200", "-key", "target", "101", "-key", "refer_params", "",
		"-au", "200", "-ap", carolPW, "-s", "100", "-d", "1000", "-m", "1", "-p", "5110", "-mp", "6110",
		"-trace_logs", x.target())
	defer x.logsOnFailure("uac-refer")
	ph1, ph2 := x.phone(1), x.phone(2)
	x.until(10*time.Second, "port 1 rings", func() bool { return ph1.Status().Ringing })
	ph1.OffHook()
	x.until(10*time.Second, "port 2 rings", func() bool { return ph2.Status().Ringing })
	x.until(8*time.Second, "caller ID on port 2", func() bool { return ph2.Status().CallerID != nil })
	if cid := ph2.Status().CallerID; cid.Number != "100" || cid.Name != "Alice Analog" {
		t.Errorf("port 2 shows caller %+v, want the transferee, 100 Alice Analog", cid)
	}
	x.until(8*time.Second, "port 1 hears ringback", func() bool { return ph1.Status().Heard == "ringback" })
	ph2.OffHook()
	x.wait(r, "REFER, NOTIFYs, BYE")
	if got, want := strings.Join(x.sipfrags(), " | "), "SIP/2.0 100 Trying | SIP/2.0 180 Ringing | SIP/2.0 200 OK"; got != want {
		t.Errorf("NOTIFY sipfrags %q, want %q", got, want)
	}
	x.until(3*time.Second, "one call left", func() bool { return x.calls() == 1 })
	x.hears(1, 2, 700)
	x.hears(2, 1, 900)
	ph1.OnHook()
	x.until(3*time.Second, "call ended", func() bool { return x.calls() == 0 })
	recs := x.records()
	if len(recs) < 2 || recs[0].From.Number != "100" || len(recs[0].Joined) != 1 || recs[1].Cause != "transferred" {
		t.Errorf("records %+v", recs)
	}
}

// TestSIPpAttendedTransfer: one SIP phone (user 200, two SIPp instances)
// has a call with port 2 and one with port 1, and REFERs the second with
// Replaces naming the first (RFC 3891 §7.1): ports 1 and 2 are joined, the
// replaced dialog gets our BYE, the REFER dialog is ended by the phone.
func TestSIPpAttendedTransfer(t *testing.T) {
	x := newExchange(t)
	consult := x.startSIPp("uac-consult.xml", "-key", "user", "200", "-au", "200", "-ap", carolPW, "-s", "101",
		"-m", "1", "-p", "5111", "-mp", "6120", x.target())
	defer x.logsOnFailure("uac-consult")
	ph1, ph2 := x.phone(1), x.phone(2)
	x.until(10*time.Second, "port 2 rings", func() bool { return ph2.Status().Ringing })
	ph2.OffHook()
	replaces := x.dialogFile("200", "101")

	r := x.startSIPp("uac-refer.xml", "-key", "user", "200", "-key", "target", "101",
		"-key", "refer_params", "?Replaces="+url.QueryEscape(replaces),
		"-au", "200", "-ap", carolPW, "-s", "100", "-d", "1500", "-m", "1", "-p", "5112", "-mp", "6130",
		"-trace_logs", x.target())
	defer x.logsOnFailure("uac-refer")
	x.until(10*time.Second, "port 1 rings", func() bool { return ph1.Status().Ringing })
	ph1.OffHook()
	x.wait(r, "REFER with Replaces")
	x.wait(consult, "the replaced dialog ended by our BYE")
	if got, want := strings.Join(x.sipfrags(), " | "), "SIP/2.0 100 Trying | SIP/2.0 200 OK"; got != want {
		t.Errorf("NOTIFY sipfrags %q, want %q", got, want)
	}
	cs := x.callList()
	if len(cs) != 1 {
		t.Fatalf("%d calls after the transfer, want 1", len(cs))
	}
	if a, b := cs[0].A.Name(), cs[0].B.Name(); a != "fxs/1" || b != "fxs/2" {
		t.Errorf("joined call %s → %s, want fxs/1 (across the REFER dialog) → fxs/2", a, b)
	}
	x.hears(1, 2, 700)
	x.hears(2, 1, 900)
	ph2.OnHook()
	x.until(3*time.Second, "call ended", func() bool { return x.calls() == 0 })
}

// TestSIPpReplaces: a second device of user 200 takes over the first
// one's call with port 1 by INVITE with Replaces; the first gets BYE.
func TestSIPpReplaces(t *testing.T) {
	x := newExchange(t)
	first := x.startSIPp("uac-consult.xml", "-key", "user", "200", "-au", "200", "-ap", carolPW, "-s", "100",
		"-m", "1", "-p", "5113", "-mp", "6140", x.target())
	defer x.logsOnFailure("uac-consult")
	ph := x.phone(1)
	x.until(10*time.Second, "port 1 rings", func() bool { return ph.Status().Ringing })
	ph.OffHook()
	replaces := x.dialogFile("200", "100")
	before := x.callList()[0].B.Name()

	second := x.startSIPp("uac-replaces.xml", "-key", "user", "200", "-key", "replaces", replaces,
		"-au", "200", "-ap", carolPW, "-s", "100", "-d", "2500", "-m", "1", "-p", "5114", "-mp", "6150", x.target())
	defer x.logsOnFailure("uac-replaces")
	x.wait(first, "the first device gets BYE")
	cs := x.callList()
	if len(cs) != 1 || cs[0].A.Name() != "sip/200" || cs[0].B.Name() != before {
		t.Fatalf("calls after Replaces: %v", cs)
	}
	time.Sleep(500 * time.Millisecond)
	if p := measure.TonePower(ph.Recording(400*time.Millisecond), toneHz); p < 0.8 {
		t.Errorf("port 1 hears the new device's tone at %.2f", p)
	}
	x.wait(second, "the second device hangs up")
	x.until(3*time.Second, "call ended", func() bool { return x.calls() == 0 })
}

// registerUAS starts a SIPp phone answering as SIP user 201 with scenario.
func (x *exchange) registerUAS(scenario, port, mediaPort string) *sippRun {
	x.t.Helper()
	uas := x.startSIPp(scenario, "-p", port, "-mp", mediaPort, "-m", "1")
	reg := x.startSIPp("register-only.xml", "-key", "contact_port", port, "-au", "201", "-ap", "Dan-Secret-201",
		"-s", "201", "-m", "1", "-p", "5115", x.target())
	x.wait(reg, "register 201")
	return uas
}

// TestAnalogTransfersSIPPhone: port 1 calls SIP user 201, holds it with a
// flash, calls port 3 and hangs up: the SIP phone and port 3 talk.
func TestAnalogTransfersSIPPhone(t *testing.T) {
	x := newExchange(t)
	uas := x.registerUAS("uas-answer.xml", "5116", "6160")
	defer x.logsOnFailure("uas-answer")
	ph1, ph3 := x.phone(1), x.phone(3)
	ph1.OffHook()
	time.Sleep(300 * time.Millisecond)
	if err := ph1.DialDTMF("201"); err != nil {
		t.Fatal(err)
	}
	x.until(10*time.Second, "the SIP phone answers", func() bool { return x.connected() == 1 })
	time.Sleep(time.Second)
	if p := measure.TonePower(ph1.Recording(500*time.Millisecond), toneHz); p < 0.8 {
		t.Errorf("port 1 hears the SIP phone at %.2f", p)
	}
	if err := ph1.Flash(0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if err := ph1.DialDTMF("102"); err != nil {
		t.Fatal(err)
	}
	x.until(10*time.Second, "port 3 rings", func() bool { return ph3.Status().Ringing })
	ph3.OffHook()
	x.until(5*time.Second, "consultation answered", func() bool { return x.connected() == 2 })
	ph1.OnHook()
	x.until(5*time.Second, "transferred", func() bool { return x.calls() == 1 })
	time.Sleep(time.Second)
	if p := measure.TonePower(ph3.Recording(500*time.Millisecond), toneHz); p < 0.8 {
		t.Errorf("port 3 hears the SIP phone at %.2f after the transfer", p)
	}
	ph3.OnHook()
	x.wait(uas, "the SIP phone gets BYE")
}

// TestSIPpHoldMusic: a SIP phone holds its call with port 1 (re-INVITE
// sendonly); port 1 hears hold music, then the phone's tone again after
// the resume. The call record keeps the SIP leg's media figures.
func TestSIPpHoldMusic(t *testing.T) {
	x := newExchange(t)
	r := x.startSIPp("uac-hold.xml", "-key", "user", "200", "-au", "200", "-ap", carolPW, "-s", "100",
		"-d", "3000", "-m", "1", "-p", "5117", "-mp", "6170", x.target())
	defer x.logsOnFailure("uac-hold")
	ph := x.phone(1)
	x.until(10*time.Second, "port 1 rings", func() bool { return ph.Status().Ringing })
	ph.OffHook()
	x.until(5*time.Second, "connected", func() bool { return x.connected() == 1 })
	held := func() bool {
		on := false
		_ = x.p.Engine.Do(context.Background(), func() {
			cs := x.p.Engine.Calls()
			on = len(cs) == 1 && cs[0].OnHold()
		})
		return on
	}
	x.until(5*time.Second, "the phone holds", held)
	time.Sleep(1500 * time.Millisecond)
	rec := ph.Recording(time.Second)
	if v := rmsOf(rec); v < 300 || measure.TonePower(rec, toneHz) > 0.1 {
		t.Errorf("port 1 on hold hears level %.0f, 1 kHz share %.2f; want hold music", v, measure.TonePower(rec, toneHz))
	}
	x.until(5*time.Second, "the phone resumes", func() bool { return !held() })
	time.Sleep(600 * time.Millisecond)
	if p := measure.TonePower(ph.Recording(300*time.Millisecond), toneHz); p < 0.8 {
		t.Errorf("port 1 hears the phone at %.2f after the resume", p)
	}
	x.wait(r, "hold, resume, BYE")
	x.until(3*time.Second, "call ended", func() bool { return x.calls() == 0 })
	rec0 := x.records()[0]
	m := rec0.A.Media
	if rec0.A.Channel != "sip/200" || m == nil {
		t.Fatalf("record %+v has no SIP media", rec0)
	}
	if m.Codec != "PCMU" || m.PacketsReceived < 100 || m.PacketsSent < 100 || m.MOS < 4 || m.Lost != 0 {
		t.Errorf("SIP leg media %+v", *m)
	}
	ph.OnHook()
}

// TestEarlyMedia: port 1 calls SIP user 201, a gateway that sends 183 with
// SDP and plays a tone before it answers: port 1 hears the tone while the
// call still alerts.
func TestEarlyMedia(t *testing.T) {
	x := newExchange(t)
	uas := x.registerUAS("uas-early.xml", "5118", "6180")
	defer x.logsOnFailure("uas-early")
	ph := x.phone(1)
	ph.OffHook()
	time.Sleep(300 * time.Millisecond)
	if err := ph.DialDTMF("201"); err != nil {
		t.Fatal(err)
	}
	x.until(10*time.Second, "the call alerts", func() bool { return x.calls() == 1 })
	time.Sleep(1500 * time.Millisecond)
	if x.connected() != 0 {
		t.Fatal("answered before the early media could be heard")
	}
	if p := measure.TonePower(ph.Recording(500*time.Millisecond), toneHz); p < 0.8 {
		t.Errorf("port 1 hears the early media at %.2f", p)
	}
	x.until(6*time.Second, "answered", func() bool { return x.connected() == 1 })
	ph.OnHook()
	x.wait(uas, "BYE")
}

// TestSIPCallerGetsEarlyMedia: a SIP caller calling a gateway that sends
// early media gets a 183 with our SDP answer before the 200.
func TestSIPCallerGetsEarlyMedia(t *testing.T) {
	x := newExchange(t)
	uas := x.registerUAS("uas-early.xml", "5119", "6190")
	r := x.startSIPp("uac-talk.xml", "-key", "user", "200", "-au", "200", "-ap", carolPW, "-s", "201",
		"-d", "1000", "-m", "1", "-p", "5120", "-mp", "6200", x.target())
	defer x.logsOnFailure("uac-talk")
	x.wait(r, "call with early media")
	x.wait(uas, "gateway got BYE")
	files, _ := filepath.Glob(filepath.Join(x.dir, "uac-talk_*_messages.log"))
	var log string
	for _, f := range files {
		b, _ := os.ReadFile(f)
		log += string(b)
	}
	i := strings.Index(log, "SIP/2.0 183 Session Progress")
	if i < 0 {
		t.Fatal("the caller got no 183")
	}
	if j := strings.Index(log[i:], "m=audio"); j < 0 || strings.Index(log[i:], "SIP/2.0 200 OK") < j {
		t.Error("the 183 carries no SDP answer")
	}
}

// TestSIPpBlindTransferOfSIPPhone: SIP phone 200 transfers its call with
// SIP phone 201 to analog port 1; port 1 then hears 201.
func TestSIPpBlindTransferOfSIPPhone(t *testing.T) {
	x := newExchange(t)
	uas := x.registerUAS("uas-load.xml", "5121", "6210")
	r := x.startSIPp("uac-refer.xml", "-key", "user", "200", "-key", "target", "100", "-key", "refer_params", "",
		"-au", "200", "-ap", carolPW, "-s", "201", "-d", "1000", "-m", "1", "-p", "5122", "-mp", "6220",
		"-trace_logs", x.target())
	defer x.logsOnFailure("uac-refer")
	ph := x.phone(1)
	x.until(10*time.Second, "port 1 rings", func() bool { return ph.Status().Ringing })
	x.until(8*time.Second, "caller ID on port 1", func() bool { return ph.Status().CallerID != nil })
	if cid := ph.Status().CallerID; cid.Number != "201" || cid.Name != "Dan Soft" {
		t.Errorf("port 1 shows %+v, want the transferee 201 Dan Soft", cid)
	}
	ph.OffHook()
	x.wait(r, "REFER")
	time.Sleep(time.Second)
	if p := measure.TonePower(ph.Recording(500*time.Millisecond), toneHz); p < 0.8 {
		t.Errorf("port 1 hears the transferred SIP phone at %.2f", p)
	}
	ph.OnHook()
	x.wait(uas, "the transferred SIP phone gets BYE")
}

// TestSIPpBlindTransferBusy: the target is busy; the transferor is told
// 486 and the transferee is recalled to it, but the SIPp transferor has
// no registered device to ring: the analog transferee hears congestion.
func TestSIPpBlindTransferBusy(t *testing.T) {
	x := newExchange(t)
	x.phone(4).OffHook() // extension 103 is busy
	r := x.startSIPp("uac-refer.xml", "-key", "user", "200", "-key", "target", "103", "-key", "refer_params", "",
		"-au", "200", "-ap", carolPW, "-s", "100", "-d", "1000", "-m", "1", "-p", "5123", "-mp", "6230",
		"-trace_logs", x.target())
	defer x.logsOnFailure("uac-refer")
	ph := x.phone(1)
	x.until(10*time.Second, "port 1 rings", func() bool { return ph.Status().Ringing })
	ph.OffHook()
	x.wait(r, "REFER")
	if got, want := strings.Join(x.sipfrags(), " | "), "SIP/2.0 100 Trying | SIP/2.0 486 Busy Here"; got != want {
		t.Errorf("NOTIFY sipfrags %q, want %q", got, want)
	}
	x.until(5*time.Second, "port 1 hears congestion", func() bool { return ph.Status().Heard == "congestion" })
	if n := x.calls(); n != 0 {
		t.Errorf("%d calls left", n)
	}
	recs := x.records()
	if len(recs) < 2 || recs[0].To != "200" || recs[0].Cause != "rejected" || recs[1].To != "103" || recs[1].Transferred != recs[0].ID {
		t.Errorf("records %+v, want the recall to 200 after the transfer to 103", recs)
	}
	ph.OnHook()
}
