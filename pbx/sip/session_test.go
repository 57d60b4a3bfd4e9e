package sip

import (
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// TestSessionRefresh: a phone calls the analog port and makes us the
// session refresher (RFC 4028 §9: refresher=uas). The 200 says so, and the
// leg refreshes by UPDATE (the phone allows it) with refresher=uac (§7.4);
// when the phone answers a refresh 481, the leg ends the call with BYE
// (§10) and the analog port is hung up.
func TestSessionRefresh(t *testing.T) {
	r := newRig(t)
	r.s.refreshAfter = func(se int) time.Duration {
		if se != 90 {
			t.Errorf("refreshing a session of %d s, want 90", se)
		}
		return 20 * time.Millisecond
	}
	carol := r.phone("200", 2000)
	d := carol.call("100", "Supported: timer", "Session-Expires: 90;refresher=uas")
	r.until("100 rings", func() bool {
		ringing := false
		r.do(func() { ringing = r.analog.ringing })
		return ringing
	})
	r.do(func() { r.analog.call.Answer(r.analog) })
	ok := carol.final(d)
	if se := ok.GetHeader("Session-Expires"); ok.StatusCode != 200 || se == nil || se.Value() != "90;refresher=uas" {
		t.Fatalf("200 to a session timer with us refreshing:\n%s", ok)
	}
	for range 2 {
		up := carol.waitReq(sip.UPDATE, d.callID)
		if se := up.GetHeader("Session-Expires"); se == nil || se.Value() != "90;refresher=uac" || len(up.Body()) != 0 {
			t.Errorf("refresh:\n%s", up)
		}
	}
	carol.mu.Lock()
	carol.inDialog = 481
	carol.mu.Unlock()
	carol.waitReq(sip.BYE, d.callID)
	r.until("the call ended", func() bool { return len(r.calls()) == 0 })
	r.do(func() {
		if r.analog.call != nil {
			t.Error("the analog port is still in the call")
		}
	})
}

// A BYE that comes before the ACK of our 2xx (the ACK lost on the way) ends
// the call at once: it must not wait out the 64·T1 the 2xx is retransmitted for.
func TestByeBeforeAck(t *testing.T) {
	r := newRig(t)
	carol, dan := r.phone("200", 2000), r.phone("201", 1000)
	carol.register()
	dan.register()
	cd := carol.call("201")
	dan.answer(dan.incoming())
	res := carol.waitRes(sip.INVITE, cd.callID)
	if res.StatusCode != 200 {
		t.Fatalf("INVITE: %d", res.StatusCode)
	}
	cd.remoteTag, _ = res.To().Params.Get("tag")
	cd.target = res.Contact().Address.String()
	if res := carol.request(cd, sip.BYE); res.StatusCode != 200 {
		t.Fatalf("BYE: %d", res.StatusCode)
	}
	r.until("call ended", func() bool { return len(r.calls()) == 0 })
	dan.waitReq(sip.BYE, "")
}
