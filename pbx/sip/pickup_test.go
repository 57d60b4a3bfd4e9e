package sip

import (
	"encoding/xml"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// blfDialog is a <dialog> of a dialog-info NOTIFY (RFC 4235 §4.1.2).
type blfDialog struct {
	ID        string `xml:"id,attr"`
	CallID    string `xml:"call-id,attr"`
	LocalTag  string `xml:"local-tag,attr"`
	RemoteTag string `xml:"remote-tag,attr"`
	Direction string `xml:"direction,attr"`
	State     string `xml:"state"`
}

// earlyDialog waits for a NOTIFY that shows a dialog alerting at the
// watched extension with ids that callID accepts, and returns it.
func earlyDialog(t *testing.T, w *watcher, callID func(string) bool) blfDialog {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		n := w.next()
		var doc struct {
			Dialogs []blfDialog `xml:"dialog"`
		}
		if err := xml.Unmarshal(n.Body(), &doc); err != nil {
			t.Fatalf("dialog-info: %v\n%s", err, n.Body())
		}
		for _, d := range doc.Dialogs {
			if d.State == "early" && d.Direction == "recipient" && d.CallID != "" && callID(d.CallID) {
				return d
			}
		}
	}
	t.Fatal("no early dialog with ids published")
	return blfDialog{}
}

// pickupHeader is the Replaces a picking phone builds from a watched early
// dialog (RFC 5359 §2.9): the ringing side's tags seen from our side.
func pickupHeader(d blfDialog, extra string) string {
	return "Replaces: " + d.CallID + ";to-tag=" + d.RemoteTag + ";from-tag=" + d.LocalTag + extra
}

// A phone picks up a call ringing at a SIP extension with the ids its
// busy-lamp field published: the ringing phone gets CANCEL, the caller
// the answer, and caller and picker talk.
func TestPickupRingingPhone(t *testing.T) {
	r := newRig(t)
	carol, dan, erin := r.phone("200", 2000), r.phone("201", 1000), r.phone("202", 3000)
	for _, p := range []*ua{carol, dan, erin} {
		p.register()
	}
	w := newWatcher(t, r.s, "203", rigUsers["203"][0])
	if res := w.subscribe("200", "dialog", 600); res.StatusCode != 200 {
		t.Fatalf("SUBSCRIBE: %d", res.StatusCode)
	}
	dd := dan.call("200")
	ring := carol.incoming()
	// Before the phone's 180 the call is published with made-up ids; then
	// with the early dialog.
	d := earlyDialog(t, w, func(id string) bool { return !strings.HasPrefix(id, "pickup-") })
	ourTag, _ := ring.req.From().Params.Get("tag")
	if d.CallID != ring.req.CallID().Value() || d.LocalTag != ring.tag || d.RemoteTag != ourTag {
		t.Fatalf("published %+v; the ringing dialog is %s, phone tag %s, our tag %s",
			d, ring.req.CallID().Value(), ring.tag, ourTag)
	}
	pd := erin.call("200", pickupHeader(d, ";early-only"))
	if res := erin.final(pd); res.StatusCode != 200 {
		t.Fatalf("pickup: %d %s", res.StatusCode, res.Reason)
	}
	carol.waitReq(sip.CANCEL, d.CallID)
	res := dan.final(dd)
	if res.StatusCode != 200 {
		t.Fatalf("the caller got %d, want the answer", res.StatusCode)
	}
	if pai := res.GetHeader("P-Asserted-Identity"); pai == nil || !strings.HasPrefix(pai.Value(), `"Erin Lobby" <sip:202@`) {
		t.Errorf("the answer asserts %v, want the picker Erin Lobby 202", pai)
	}
	r.talking("201", "202")
	if got := r.calls(); !slices.Equal(got, []string{"sip/201>sip/202 connected"}) {
		t.Errorf("calls %v", got)
	}
	// The dialog is gone: picking it up again finds nothing.
	again := r.phone("203", 4000)
	if res := again.final(again.call("200", pickupHeader(d, ""))); res.StatusCode != 481 {
		t.Errorf("second pickup: %d, want 481", res.StatusCode)
	}
}

// An analog extension has no SIP dialog; its busy-lamp field publishes ids
// that name the call, and Replaces with them picks it up.
func TestPickupAnalogPort(t *testing.T) {
	r := newRig(t)
	dan, erin := r.phone("201", 1000), r.phone("202", 3000)
	w := newWatcher(t, r.s, "203", rigUsers["203"][0])
	if res := w.subscribe("100", "dialog", 600); res.StatusCode != 200 {
		t.Fatalf("SUBSCRIBE: %d", res.StatusCode)
	}
	dd := dan.call("100")
	d := earlyDialog(t, w, func(string) bool { return true })
	ringing := func() (on bool) { r.do(func() { on = r.analog.ringing }); return on }
	if !ringing() {
		t.Fatal("port not ringing")
	}
	// A made-up dialog of another extension or call is not this one.
	for _, bad := range []string{
		"Replaces: " + d.CallID + ";to-tag=" + d.RemoteTag + ";from-tag=ext101",
		"Replaces: pickup-999@127.0.0.1;to-tag=pbx999;from-tag=ext100",
	} {
		if res := erin.final(erin.call("100", bad)); res.StatusCode != 481 {
			t.Errorf("%s: %d, want 481", bad, res.StatusCode)
		}
	}
	pd := erin.call("100", pickupHeader(d, ""))
	if res := erin.final(pd); res.StatusCode != 200 {
		t.Fatalf("pickup: %d %s", res.StatusCode, res.Reason)
	}
	if res := dan.final(dd); res.StatusCode != 200 {
		t.Fatalf("the caller got %d", res.StatusCode)
	}
	r.talking("201", "202")
	if ringing() {
		t.Error("the port still rings")
	}
}

// Replaces that names no dialog of ours, or one we may not replace.
func TestReplacesRefused(t *testing.T) {
	r := newRig(t)
	carol, dan, erin := r.phone("200", 2000), r.phone("201", 1000), r.phone("202", 3000)
	for _, p := range []*ua{carol, dan, erin} {
		p.register()
	}
	dd := dan.call("200")
	ring := carol.incoming()
	ourTag := dan.provisionalTag(dd)
	try := func(name, replaces string, want int) {
		t.Helper()
		if res := erin.final(erin.call("200", "Replaces: "+replaces)); res.StatusCode != want {
			t.Errorf("%s: %d %s, want %d", name, res.StatusCode, res.Reason, want)
		}
	}
	try("no such dialog", "nope@x;to-tag=a;from-tag=b", 481)
	// RFC 3891 §3: an early dialog we did not initiate (the caller's INVITE
	// to us) is not ours to replace.
	try("the caller's early dialog", dd.callID+";to-tag="+ourTag+";from-tag="+dd.localTag, 481)
	carol.answer(ring)
	if res := dan.final(dd); res.StatusCode != 200 {
		t.Fatalf("answer: %d", res.StatusCode)
	}
	try("early-only, confirmed", dd.callID+";to-tag="+dd.remoteTag+";from-tag="+dd.localTag+";early-only", 486)
	try("another user's confirmed dialog", dd.callID+";to-tag="+dd.remoteTag+";from-tag="+dd.localTag, 403)
	r.talking("201", "200")
}

// provisionalTag is the To tag of a provisional response in dialog d.
func (u *ua) provisionalTag(d *dialog) string {
	u.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		u.mu.Lock()
		for _, r := range u.resps {
			if r.CallID().Value() == d.callID && r.StatusCode < 200 {
				tag, _ := r.To().Params.Get("tag")
				u.mu.Unlock()
				return tag
			}
		}
		u.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	u.t.Fatal("no provisional response")
	return ""
}
