package sip

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// After a blind transfer the transferee's phone is told who it now talks
// to: an UPDATE when it allows UPDATE (it called, with Allow: UPDATE), a
// re-INVITE offering the same session when it allows only INVITE (it was
// called, and its 200 listed no UPDATE), each with P-Asserted-Identity of
// the target; nothing when it listed no methods at all.
func TestConnectedIdentityAfterTransfer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		method sip.RequestMethod
		allow  string // the transferee's Allow when it is called
	}{
		{"update", sip.UPDATE, ""},
		{"re-invite", sip.INVITE, "INVITE, ACK, CANCEL, BYE, NOTIFY, REFER"},
		{"no allow", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			carol, dan, erin := r.phone("200", 2000), r.phone("201", 1000), r.phone("202", 3000)
			for _, p := range []*ua{carol, dan, erin} {
				p.register()
			}
			dan.allow = tc.allow
			var cd, dd *dialog
			if tc.method == sip.UPDATE {
				dd, cd = r.connectCall(dan, carol) // dan's INVITE allows UPDATE
			} else {
				cd, dd = r.connectCall(carol, dan) // dan answers with tc.allow
			}
			carol.refer(cd, "202")
			erin.answer(erin.incoming())
			if frags := carol.sipfrags(cd); frags[len(frags)-1] != "SIP/2.0 200 OK" {
				t.Fatalf("sipfrags %q", frags)
			}
			if tc.method == "" {
				r.talking("201", "202")
				dan.noReq(sip.INVITE)
				dan.noReq(sip.UPDATE)
				return
			}
			req := dan.waitReq(tc.method, dd.callID)
			pai := header(req, "P-Asserted-Identity")
			if !strings.HasPrefix(pai, `"Erin Lobby" <sip:202@`) {
				t.Errorf("%s asserts %q, want the target Erin Lobby 202", tc.method, pai)
			}
			if tag, _ := req.To().Params.Get("tag"); tag != dd.localTag {
				t.Errorf("%s outside the transferee's dialog: To tag %q", tc.method, tag)
			}
			switch tc.method {
			case sip.UPDATE:
				if len(req.Body()) != 0 {
					t.Errorf("UPDATE carries an offer:\n%s", req.Body())
				}
			case sip.INVITE:
				if !strings.Contains(string(req.Body()), "m=audio") {
					t.Errorf("re-INVITE without an offer:\n%s", req)
				}
				dan.waitReq(sip.ACK, dd.callID)
			}
			r.talking("201", "202")
			carol.noReq(tc.method)
		})
	}
}
