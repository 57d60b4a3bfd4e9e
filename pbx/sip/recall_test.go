package sip

import (
	"slices"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// connectCall has phone a call phone b, b answer, and both talk.
func (r *rig) connectCall(a, b *ua) (ad, bd *dialog) {
	r.t.Helper()
	ad = a.call(b.user)
	bd = b.answer(b.incoming())
	if res := a.final(ad); res.StatusCode != 200 {
		r.t.Fatalf("%s calls %s: %d", a.user, b.user, res.StatusCode)
	}
	r.talking(a.user, b.user)
	return ad, bd
}

// refer has the phone transfer dialog d's call to number (blind, RFC 3515).
func (u *ua) refer(d *dialog, number string) {
	u.t.Helper()
	res := u.request(d, sip.REFER, "Refer-To: <sip:"+number+"@"+u.host+">", "Referred-By: <sip:"+u.user+"@"+u.host+">")
	if res.StatusCode != 202 {
		u.t.Fatalf("REFER: %d", res.StatusCode)
	}
}

// A blind transfer whose target refuses (486, 480) or does not answer in
// the recall time rings the transferor back with the transferee: the
// transferor's NOTIFYs report the failure, its phone gets an INVITE from
// the transferee, and once answered the two talk again.
func TestBlindTransferRecall(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail func(r *rig, target *ua, ic *inCall)
		frag string
	}{
		{"busy", func(r *rig, target *ua, ic *inCall) { target.refuse(ic, 486, "Busy Here") }, "SIP/2.0 486 Busy Here"},
		{"unavailable", func(r *rig, target *ua, ic *inCall) { target.refuse(ic, 480, "Temporarily Unavailable") },
			"SIP/2.0 480 Temporarily Unavailable"},
		{"no answer", func(r *rig, target *ua, ic *inCall) {
			r.clk.add(rigRecall)
			target.waitReq(sip.CANCEL, ic.req.CallID().Value()) // the target stops ringing
		}, "SIP/2.0 408 Request Timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			carol, dan, erin := r.phone("200", 2000), r.phone("201", 1000), r.phone("202", 3000)
			for _, p := range []*ua{carol, dan, erin} {
				p.register()
			}
			_, cd := r.connectCall(dan, carol)
			carol.refer(cd, "202")
			ic := erin.incoming()
			if from := ic.req.From(); from.Address.User != "201" || from.DisplayName != "Dan Soft" {
				t.Errorf("the target sees %s %q, want the transferee", from.Address.User, from.DisplayName)
			}
			// The transfer rings (NOTIFY 180) before the target fails.
			frags := []string{carol.sipfrag(cd), carol.sipfrag(cd)}
			tc.fail(r, erin, ic)
			frags = append(frags, carol.sipfrags(cd)...)
			if want := []string{"SIP/2.0 100 Trying", "SIP/2.0 180 Ringing", tc.frag}; !slices.Equal(frags, want) {
				t.Errorf("sipfrags %q, want %q", frags, want)
			}
			if res := carol.request(cd, sip.BYE); res.StatusCode != 200 { // the phone ends the REFER dialog
				t.Errorf("BYE: %d", res.StatusCode)
			}
			recall := carol.incoming()
			if from := recall.req.From(); from.Address.User != "201" || from.DisplayName != "Dan Soft" {
				t.Errorf("the recall shows %s %q, want the transferee 201 Dan Soft", from.Address.User, from.DisplayName)
			}
			carol.answer(recall)
			r.until("the recall answered", func() bool {
				return slices.Equal(r.calls(), []string{"sip/201>sip/200 connected"})
			})
			r.talking("201", "200")
			dan.noReq(sip.BYE)
		})
	}
}

// When the transferor does not answer the recall either, the transferee's
// call ends: the SIP transferee gets BYE.
func TestBlindTransferRecallUnanswered(t *testing.T) {
	r := newRig(t)
	carol, dan, erin := r.phone("200", 2000), r.phone("201", 1000), r.phone("202", 3000)
	for _, p := range []*ua{carol, dan, erin} {
		p.register()
	}
	dd, cd := r.connectCall(dan, carol)
	carol.refer(cd, "202")
	erin.incoming()
	if f := []string{carol.sipfrag(cd), carol.sipfrag(cd)}; f[1] != "SIP/2.0 180 Ringing" {
		t.Fatalf("sipfrags %q", f)
	}
	r.clk.add(rigRecall)
	if frags := carol.sipfrags(cd); frags[len(frags)-1] != "SIP/2.0 408 Request Timeout" {
		t.Errorf("sipfrags %q", frags)
	}
	recall := carol.incoming()
	r.until("the recall alerts", func() bool {
		c := r.calls()
		return len(c) == 1 && strings.HasSuffix(c[0], "alerting")
	})
	r.clk.add(rigRecall)
	carol.waitReq(sip.CANCEL, recall.req.CallID().Value())
	dan.waitReq(sip.BYE, dd.callID)
	r.until("no calls", func() bool { return len(r.calls()) == 0 })
}
