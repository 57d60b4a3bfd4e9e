package sip

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// typicalInvite is what a phone sends: compat's common case.
const typicalInvite = "INVITE sip:201@192.0.2.1 SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 192.0.2.10:5060;rport;branch=z9hG4bK-524287-1---6d1ba2e3a5b7c9d1\r\n" +
	"Max-Forwards: 70\r\n" +
	"Contact: <sip:200@192.0.2.10:5060;transport=udp>\r\n" +
	"To: <sip:201@192.0.2.1>\r\n" +
	"From: \"Carol Desk\" <sip:200@192.0.2.1>;tag=8a1b2c3d\r\n" +
	"Call-ID: 9f8e7d6c5b4a39281706@192.0.2.10\r\n" +
	"CSeq: 1 INVITE\r\n" +
	"Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE\r\n" +
	"Content-Type: application/sdp\r\n" +
	"Supported: replaces, norefersub, extended-refer, timer, X-cisco-serviceuri\r\n" +
	"User-Agent: Desk Phone 5.9.4\r\n" +
	"Allow-Events: presence, kpml, talk\r\n" +
	"Content-Length: 129\r\n\r\n" +
	"v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n" +
	"m=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"

// rfc2543Invite is RFC 4475 §3.3.15's message: no branch, no From tag, no
// Content-Length, no Max-Forwards.
func rfc2543Invite(seq, method, callID, toTag string) string {
	to := "To: sip:+16505552222@ss1.example.net;user=phone\r\n"
	if toTag != "" {
		to = "To: sip:+16505552222@ss1.example.net;user=phone;tag=" + toTag + "\r\n"
	}
	return method + " sip:UserB@example.com SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP iftgw.example.com\r\n" +
		"From: <sip:+13035551111@ift.client.example.net;user=phone>\r\n" +
		"Record-Route: <sip:UserB@example.com;maddr=ss1.example.com>\r\n" + to +
		"Call-ID: " + callID + "\r\n" +
		"CSeq: " + seq + " " + method + "\r\n" +
		"Content-Type: application/sdp\r\n\r\n" +
		"v=0\r\no=mhandley 29739 7272939 IN IP4 192.0.2.5\r\ns=-\r\nc=IN IP4 192.0.2.5\r\nt=0 0\r\nm=audio 49217 RTP/AVP 0\r\n"
}

func parseReq(t *testing.T, data []byte) *sip.Request {
	t.Helper()
	m, err := sip.ParseMessage(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	req, ok := m.(*sip.Request)
	if !ok {
		t.Fatalf("not a request:\n%s", data)
	}
	return req
}

// headerLine is the line of data whose header name is name.
func headerLine(data []byte, name string) string {
	for _, l := range strings.Split(string(data), "\r\n") {
		if n, _, ok := strings.Cut(l, ":"); ok && n == name {
			return l
		}
	}
	return ""
}

func TestCompatUnchanged(t *testing.T) {
	for _, msg := range []string{
		typicalInvite,
		"REGISTER sip:192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;rport;branch=z9hG4bK1\r\n" +
			"To: <sip:200@192.0.2.1>\r\nFrom: <sip:200@192.0.2.1>;tag=1\r\nCall-ID: r1\r\nCSeq: 2 REGISTER\r\n" +
			"Contact: <sip:200@192.0.2.10>;expires=3600, \"Two\" <sip:200@192.0.2.11>;q=0.5\r\nContent-Length: 0\r\n\r\n",
		// A response: no branch or tag is put into it.
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1\r\nTo: <sip:a@b>\r\nFrom: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 BYE\r\n\r\n",
		// White space the grammar has anyway, or inside quotes and <URI>.
		"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n" +
			"From: \"a ; b = c\" <sip:x@y;p = q>;tag=1\r\nTo: Bob Smith <sip:b@c>\r\nCall-ID: y\r\nCSeq: 1 OPTIONS\r\n" +
			"Subject:   spaced   out ; = /\r\n\r\n",
		// No end of headers: not ours to judge.
		"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n",
		"\r\n\r\n",
		"",
	} {
		data := []byte(msg)
		got := compat(data)
		if len(data) > 0 && &got[0] != &data[0] || !bytes.Equal(got, data) {
			t.Errorf("rewritten:\n%s\nto\n%s", data, got)
		}
	}
}

// TestCompatRewrites checks the headers compat rewrites, one per case.
func TestCompatRewrites(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string // want: the named header's line after compat
	}{
		{"fold", "To: <sip:b@c>;\r\n tag=7\r\n", "To: <sip:b@c>;tag=7"},
		{"fold with tab", "Subject: one\r\n\ttwo\r\n  three\r\n", "Subject: one two three"},
		{"fold as first line", "To :\r\n <sip:b@c>\r\n", "To: <sip:b@c>"},
		{"fold in a quoted string", "To: \"a\r\n  b\" <sip:b@c>\r\n", "To: \"a b\" <sip:b@c>"},
		{"semi and equal", "To: <sip:b@c> ;  tag = 7\r\n", "To: <sip:b@c>;tag=7"},
		{"addr-spec", "t: sip:b@c ; tag = 7\r\n", "t: sip:b@c;tag=7"},
		{"tab", "To: <sip:b@c>\t;tag=7\r\n", "To: <sip:b@c>;tag=7"},
		{"quoted kept", "To: \"x ; y = z \\\" ; \" <sip:b@c> ; tag=7\r\n", "To: \"x ; y = z \\\" ; \" <sip:b@c>;tag=7"},
		{"uri kept", "To: <sip:b@c;  lr> ; tag=7\r\n", "To: <sip:b@c;  lr>;tag=7"},
		{"via slash colon comma", "Via: SIP / 2.0 / UDP  h : 5060 ; branch = z9hG4bK1 ,SIP/2.0/TCP g\r\n",
			"Via: SIP/2.0/UDP h:5060;branch=z9hG4bK1,SIP/2.0/TCP g"},
		{"via received", "Via: SIP/2.0/UDP h:5060 ; received=192.0.2.1;branch=z9hG4bK1\r\n",
			"Via: SIP/2.0/UDP h:5060;received=192.0.2.1;branch=z9hG4bK1"},
		{"compact via", "v:  SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8\r\n",
			"v: SIP/2.0/TCP spindle.example.com;branch=z9hG4bK9ikj8"},
		{"contact list", "m: <sip:a@b> ; q = 0.5 , \"B\" <sip:c@d>\r\n", "m: <sip:a@b>;q=0.5, \"B\" <sip:c@d>"},
		{"content type", "Content-Type: application / sdp ; charset = utf-8\r\n", "Content-Type: application/sdp;charset=utf-8"},
		{"cseq", "CSeq:  0009\r\n  INVITE\r\n", "CSeq: 0009 INVITE"},
		{"cseq spaces", "CSeq: 9  INVITE\r\n", "CSeq: 9 INVITE"},
		{"display name", "To: \"A\"  <sip:b@c>;tag=7\r\n", "To: \"A\" <sip:b@c>;tag=7"},
		// A From is one value: its comma is not a separator.
		{"from comma", "From: Bell, Alexander <sip:a@b> ;tag=1\r\n", "From: Bell, Alexander <sip:a@b>;tag=1"},
		// Unknown headers are unfolded and nothing else.
		{"unknown", "X-Thing: a ; b\r\n c\r\n", "X-Thing: a ; b c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The headers a request needs, but for the one under test.
			in := "OPTIONS sip:a@b SIP/2.0\r\n"
			own, _, _ := strings.Cut(tc.in, ":")
			for _, h := range []string{"Via: SIP/2.0/UDP h;branch=z9hG4bKx", "From: <sip:a@b>;tag=f", "CSeq: 1 OPTIONS", "Call-ID: c"} {
				if name, _, _ := strings.Cut(h, ":"); kindOf([]byte(name)) == plain || kindOf([]byte(name)) != kindOf([]byte(strings.TrimSpace(own))) {
					in += h + "\r\n"
				}
			}
			in += tc.in + "\r\nbody\r\n"
			got := compat([]byte(in))
			name, _, _ := strings.Cut(tc.want, ":")
			if l := headerLine(got, name); l != tc.want {
				t.Errorf("got %q, want %q\n%s", l, tc.want, got)
			}
			if !bytes.HasSuffix(got, []byte("\r\n\r\nbody\r\n")) {
				t.Errorf("body not kept:\n%q", got)
			}
			if _, err := sip.ParseMessage(got); err != nil {
				t.Errorf("does not parse: %v\n%s", err, got)
			}
		})
	}
}

// TestCompatWsinv checks that RFC 4475 §3.1.1.1's message is read as the
// RFC says, not only that it parses.
func TestCompatWsinv(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(tortureDir, "wsinv.dat"))
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := bytes.Cut(data, crlf2)
	req := parseReq(t, compat(data))
	tag := func(p sip.HeaderParams) string { v, _ := p.Get("tag"); return v }
	if got := req.To(); got.Address.Host != "chair-dnrc.example.com" || got.Address.User != "vivekg" || tag(got.Params) != "1918181833n" {
		t.Errorf("To %+v", got)
	}
	if got := req.From(); got.Address.String() != "sip:jdrosen@example.com" || tag(got.Params) != "98asjd8" ||
		got.DisplayName != `J Rosenberg \\\"` {
		t.Errorf("From %+v", got)
	}
	if got := req.CSeq(); got.SeqNo != 9 || got.MethodName != sip.INVITE {
		t.Errorf("CSeq %+v", got)
	}
	if got := req.MaxForwards(); got == nil || got.Val() != 68 {
		t.Errorf("Max-Forwards %v", got)
	}
	type hop struct{ transport, host, branch string }
	var hops []hop
	for _, h := range req.GetHeaders("Via") {
		via, ok := h.(*sip.ViaHeader)
		if !ok {
			t.Fatalf("Via %T", h)
		}
		b, _ := via.Params.Get("branch")
		hops = append(hops, hop{via.Transport, via.Host, b})
	}
	want := []hop{{"UDP", "192.0.2.2", "390skdjuw"}, {"TCP", "spindle.example.com", "z9hG4bK9ikj8"},
		{"UDP", "192.168.255.111", "z9hG4bK30239"}}
	if !slices.Equal(hops, want) {
		t.Errorf("Vias %v, want %v", hops, want)
	}
	c := req.Contact()
	q, _ := c.Params.Get("q")
	np, _ := c.Params.Get("newparam")
	if c == nil || c.DisplayName != `Quoted string \"\"` || c.Address.String() != "sip:jdrosen@example.com" ||
		q != "0.33" || np != "newvalue" || !c.Params.Has("secondparam") || len(c.Params) != 3 {
		t.Errorf("Contact %+v", c)
	}
	if got := req.GetHeader("Route").Value(); got != "<sip:services.example.com;lr;unknownwith=value;unknown-no-value>" {
		t.Errorf("Route %q", got)
	}
	if got := req.GetHeader("NewFangledHeader").Value(); got != "newfangled value continued newfangled value" {
		t.Errorf("NewFangledHeader %q", got)
	}
	if !bytes.Equal(req.Body(), body) || *req.ContentLength() != 150 || len(body) != 150 {
		t.Errorf("body %d bytes, Content-Length %v", len(req.Body()), req.ContentLength())
	}
	if _, err := sip.ServerTxKeyMake(req); err != nil {
		t.Errorf("no transaction: %v", err)
	}
}

// TestCompat2543 checks RFC 4475 §3.3.15's message and the branch and From
// tag made up for it.
func TestCompat2543(t *testing.T) {
	in := []byte(rfc2543Invite("56", "INVITE", "inv2543.1717@ift.client.example.com", ""))
	_, body, _ := bytes.Cut(in, crlf2)
	out := compat(in)
	req := parseReq(t, out)
	br, _ := req.Via().Params.Get("branch")
	ft, _ := req.From().Params.Get("tag")
	if !strings.HasPrefix(br, compatMark) || len(br) != len(compatMark)+hashLen || strings.Contains(br, sip.RFC3261BranchMagicCookie) {
		t.Errorf("branch %q", br)
	}
	if !strings.HasPrefix(ft, compatMark) || len(ft) != len(compatMark)+hashLen {
		t.Errorf("From tag %q", ft)
	}
	if req.Via().Host != "iftgw.example.com" || req.Via().Transport != "UDP" {
		t.Errorf("Via %v", req.Via())
	}
	if up, _ := req.To().Params.Get("user"); up != "phone" || req.To().Address.User != "+16505552222" {
		t.Errorf("To %+v", req.To())
	}
	// sipgo counts the body itself when there is no Content-Length.
	if !bytes.Equal(req.Body(), body) || int(*req.ContentLength()) != len(body) || req.MaxForwards() != nil {
		t.Errorf("body %q, Content-Length %v, Max-Forwards %v", req.Body(), req.ContentLength(), req.MaxForwards())
	}
	if _, err := sip.ServerTxKeyMake(req); err != nil {
		t.Errorf("no transaction: %v", err)
	}
	if _, err := sip.DialogIDFromRequestUAS(withToTag(req)); err != nil {
		t.Errorf("no dialog: %v", err)
	}
	// Every other byte as it was.
	if got := restore(out); !bytes.Equal(got, in) {
		t.Errorf("restore:\n%s\nwant\n%s", got, in)
	}
}

func withToTag(req *sip.Request) *sip.Request {
	r := req.Clone()
	r.To().Params.Add("tag", "ours")
	return r
}

// TestCompatBranch checks which requests share a made-up branch and From
// tag: a retransmission, and the CANCEL and the ACK of a non-2xx for an
// INVITE (RFC 3261 §9.2, §17.2.3), share the transaction; another CSeq,
// Call-ID or sender does not. The From tag stays for the whole call.
func TestCompatBranch(t *testing.T) {
	const call = "a@b"
	ids := func(msg string) (branch, tag, key string) {
		req := parseReq(t, compat([]byte(msg)))
		branch, _ = req.Via().Params.Get("branch")
		tag, _ = req.From().Params.Get("tag")
		key, err := sip.ServerTxKeyMake(req)
		if err != nil {
			t.Fatal(err)
		}
		return branch, tag, key
	}
	b0, t0, k0 := ids(rfc2543Invite("56", "INVITE", call, ""))
	for _, tc := range []struct {
		name       string
		msg        string
		sameBranch bool
	}{
		{"retransmission", rfc2543Invite("56", "INVITE", call, ""), true},
		{"leading zeros", rfc2543Invite("0056", "INVITE", call, ""), true},
		{"CANCEL", rfc2543Invite("56", "CANCEL", call, ""), true},
		{"ACK with our To tag", rfc2543Invite("56", "ACK", call, "ours"), true},
		{"next CSeq", rfc2543Invite("57", "INVITE", call, ""), false},
		{"BYE", rfc2543Invite("57", "BYE", call, "ours"), false},
		{"other Request-URI", strings.Replace(rfc2543Invite("56", "INVITE", call, ""), "sip:UserB@", "sip:UserC@", 1), false},
		{"other sender", strings.Replace(rfc2543Invite("56", "INVITE", call, ""), "iftgw.", "gw2.", 1), false},
	} {
		b, tag, key := ids(tc.msg)
		if (b == b0) != tc.sameBranch {
			t.Errorf("%s: branch %s, INVITE's %s, want same %v", tc.name, b, b0, tc.sameBranch)
		}
		if tag != t0 {
			t.Errorf("%s: From tag %s, INVITE's %s", tc.name, tag, t0)
		}
		// sipgo's key: the INVITE's for a retransmission and the ACK.
		if inviteTx := tc.name == "retransmission" || tc.name == "leading zeros" || tc.name == "ACK with our To tag"; (key == k0) != inviteTx {
			t.Errorf("%s: transaction key %q, INVITE's %q", tc.name, key, k0)
		}
	}
	_, t1, _ := ids(rfc2543Invite("56", "INVITE", "other-call", ""))
	b1, _, _ := ids(rfc2543Invite("56", "INVITE", "other-call", ""))
	if t1 == t0 || b1 == b0 {
		t.Errorf("another call has the same tag %s or branch %s", t1, b1)
	}
	// A From tag of its own is kept, and a branch is still made up.
	msg := strings.Replace(rfc2543Invite("56", "INVITE", call, ""), "user=phone>", "user=phone>;tag=x1", 1)
	if b, tag, _ := ids(msg); tag != "x1" || !strings.HasPrefix(b, compatMark) {
		t.Errorf("own From tag: branch %s tag %s", b, tag)
	}
	// Only the top Via's first value gets a branch.
	msg = strings.Replace(rfc2543Invite("56", "INVITE", call, ""), "iftgw.example.com", "iftgw.example.com, SIP/2.0/UDP p.example.com", 1)
	req := parseReq(t, compat([]byte(msg)))
	if l := headerLine(compat([]byte(msg)), "Via"); !strings.Contains(l, "example.com;branch="+compatMark) || !strings.HasSuffix(l, ", SIP/2.0/UDP p.example.com") {
		t.Errorf("Via %q", l)
	}
	if _, ok := req.Via().Params.Get("branch"); !ok {
		t.Errorf("top Via %v has no branch", req.Via())
	}
}

// TestCompatTortureSet names the RFC 4475 messages compat rewrites; every
// other one must come back as the same slice.
func TestCompatTortureSet(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(tortureDir, "*.dat"))
	if err != nil || len(files) != 49 {
		t.Fatalf("%d torture messages, want 49 (%v)", len(files), err)
	}
	var got []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out := compat(data)
		if &out[0] != &data[0] {
			got = append(got, strings.TrimSuffix(filepath.Base(f), ".dat"))
		}
		// The body is never touched.
		if _, b, ok := bytes.Cut(data, crlf2); ok && !bytes.HasSuffix(out, b) {
			t.Errorf("%s: body changed", f)
		}
	}
	// Folded (esc01, scalar02, semiuri, wsinv), requests whose top Via has
	// no branch (badinv01, inv2543, ltgtruri; longreq too, but it goes by TCP,
	// where compat is not used).
	want := []string{"badinv01", "esc01", "inv2543", "longreq", "ltgtruri", "scalar02", "semiuri", "wsinv"}
	if !slices.Equal(got, want) {
		t.Errorf("rewritten %v, want %v", got, want)
	}
}

func TestRestore(t *testing.T) {
	in := []byte(rfc2543Invite("56", "INVITE", "r@b", ""))
	req := parseReq(t, compat(in))
	res := sip.NewResponseFromRequest(req, 401, "Unauthorized", nil)
	res.To().Params.Add("tag", "ours")
	out := restore([]byte(res.String()))
	for _, name := range []string{"Via", "From"} {
		if got, want := headerLine(out, name), headerLine(in, name); got != want {
			t.Errorf("%s: %q, want %q as sent", name, got, want)
		}
	}
	if got := headerLine(out, "To"); !strings.HasSuffix(got, ";tag=ours") {
		t.Errorf("To %q", got)
	}
	// A request of ours to the 2543 peer: its null tag is no tag.
	bye := []byte("BYE sip:p@q SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKours\r\n" +
		"To: <sip:+13035551111@ift.client.example.net;user=phone>;tag=" + compatMark + "0123456789abcdef\r\n" +
		"From: <sip:b@c>;tag=ours\r\nContent-Length: 4\r\n\r\n;tag")
	if got := string(restore(bye)); strings.Contains(got, compatMark) || !strings.HasSuffix(got, "user=phone>\r\nFrom: <sip:b@c>;tag=ours\r\nContent-Length: 4\r\n\r\n;tag") {
		t.Errorf("restore:\n%s", got)
	}
	// Nothing of ours: the same slice. The mark in a body is not ours.
	for _, msg := range []string{typicalInvite, "SIP/2.0 200 OK\r\n\r\n;tag=" + compatMark + "0123456789abcdef", "x"} {
		data := []byte(msg)
		if got := restore(data); &got[0] != &data[0] {
			t.Errorf("restore rewrote %q", msg)
		}
	}
}

// recConn records what is written to it.
type recConn struct {
	net.PacketConn
	got [][]byte
}

func (c *recConn) WriteTo(p []byte, _ net.Addr) (int, error) {
	c.got = append(c.got, slices.Clone(p))
	return len(p), nil
}

func TestCompatConn(t *testing.T) {
	rec := &recConn{}
	c := compatConn{rec}
	in := []byte(rfc2543Invite("56", "INVITE", "c@b", ""))
	res := []byte(sip.NewResponseFromRequest(parseReq(t, compat(in)), 100, "Trying", nil).String())
	n, err := c.WriteTo(res, nil)
	if err != nil || n != len(res) || len(rec.got) != 1 || bytes.Contains(rec.got[0], []byte(compatMark)) {
		t.Errorf("wrote %d, %v: %q", n, err, rec.got)
	}
}

// TestCompat2543Transaction sends an RFC 2543 INVITE twice: the second is a
// retransmission of the first and gets the same 401 again (RFC 3261
// §17.2.3, §17.2.1), not a new transaction's, with the Via and From as the
// client sent them.
func TestCompat2543Transaction(t *testing.T) {
	s := newServer(t, Opts{})
	p := newPhone(t, s, "127.0.0.1:0")
	msg := strings.Replace(rfc2543Invite("56", "INVITE", "tx2543@ift.client.example.com", ""),
		"iftgw.example.com", p.c.LocalAddr().String(), 1)
	var got []*sip.Response
	for range 2 {
		p.send(msg)
		res := p.recv(3 * time.Second)
		if res == nil {
			t.Fatal("no answer")
		}
		got = append(got, res)
	}
	for _, res := range got {
		if res.StatusCode != 401 {
			t.Fatalf("answered %d, want 401", res.StatusCode)
		}
		if strings.Contains(res.String(), compatMark) {
			t.Fatalf("the 2543 client sees the made-up branch or tag:\n%s", res)
		}
	}
	if a, b := got[0].String(), got[1].String(); a != b {
		t.Errorf("the retransmission got another answer:\n%s\n%s", a, b)
	}
}

func TestCompatAllocs(t *testing.T) {
	data := []byte(typicalInvite)
	res := []byte("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n")
	if n := testing.AllocsPerRun(100, func() { compat(data) }); n != 0 {
		t.Errorf("compat: %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { restore(res) }); n != 0 {
		t.Errorf("restore: %v allocations, want 0", n)
	}
}

func BenchmarkCompat(b *testing.B) {
	wsinv, err := os.ReadFile(filepath.Join(tortureDir, "wsinv.dat"))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		data []byte
	}{
		{"typical", []byte(typicalInvite)},
		{"wsinv", wsinv},
		{"rfc2543", []byte(rfc2543Invite("56", "INVITE", "bench@b", ""))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.data)))
			for b.Loop() {
				compat(bc.data)
			}
		})
	}
	// For scale: what sipgo then spends parsing the typical INVITE.
	b.Run("sipgo-parse", func(b *testing.B) {
		data := []byte(typicalInvite)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := sip.ParseMessage(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("restore", func(b *testing.B) {
		res := []byte(typicalInvite)
		b.ReportAllocs()
		for b.Loop() {
			restore(res)
		}
	})
}

// TestCompatMalformedReply: a 400 to a request compat gave a branch carries
// the Via as sent.
func TestCompatMalformedReply(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(tortureDir, "ltgtruri.dat"))
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{parser: sip.NewParser()}
	reply := s.malformed(compat(data))
	if !bytes.HasPrefix(reply, []byte("SIP/2.0 400 ")) || bytes.Contains(reply, []byte(compatMark)) ||
		headerLine(reply, "Via") != headerLine(data, "Via") {
		t.Errorf("reply:\n%s", reply)
	}
}

// FuzzCompat: compat runs on every datagram from the network. It must not
// panic, must keep the body, and its output must need no second rewrite.
func FuzzCompat(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(tortureDir, "*.dat"))
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(typicalInvite))
	f.Add([]byte(rfc2543Invite("1", "INVITE", "c", "")))
	f.Fuzz(func(t *testing.T, data []byte) {
		in := slices.Clone(data)
		out := compat(data)
		if !bytes.Equal(data, in) {
			t.Fatal("input modified")
		}
		if _, body, ok := bytes.Cut(data, crlf2); ok && !bytes.HasSuffix(out, body) {
			t.Fatalf("body lost:\n%q\n%q", data, out)
		}
		if again := compat(out); !bytes.Equal(again, out) {
			t.Fatalf("not stable:\n%q\n%q\n%q", data, out, again)
		}
		// A message sipgo read (with the headers that make one) it still
		// reads, with the same start line, Call-ID and body.
		if m, err := sip.ParseMessage(data); err == nil && viasLike(m) &&
			m.From() != nil && m.To() != nil && m.CSeq() != nil && m.CallID() != nil {
			m2, err := sip.ParseMessage(out)
			if err != nil {
				t.Fatalf("parsed before, not after: %v\n%q\n%q", err, data, out)
			}
			id, id2 := "", ""
			if c := m.CallID(); c != nil {
				id = c.Value()
			}
			if c := m2.CallID(); c != nil {
				id2 = c.Value()
			}
			first := func(m sip.Message) string { l, _, _ := strings.Cut(m.String(), "\r\n"); return l }
			if first(m) != first(m2) || id != id2 || !bytes.Equal(m.Body(), m2.Body()) {
				t.Fatalf("read differently:\n%q\n%q", data, out)
			}
		}
		_ = restore(out)
	})
}

// viasLike reports whether m has Vias and each is one as RFC 3261 §20.42
// writes it, roughly.
func viasLike(m sip.Message) bool {
	vias := m.GetHeaders("Via")
	for _, h := range vias {
		v, ok := h.(*sip.ViaHeader)
		if !ok || v.ProtocolName != "SIP" || v.ProtocolVersion != "2.0" || !hostLike(v.Host) ||
			!slices.Contains([]string{"UDP", "TCP", "TLS", "SCTP", "WS", "WSS"}, v.Transport) {
			return false
		}
	}
	return len(vias) > 0
}

// hostLike is a host as RFC 3261 §25.1 writes one, roughly: letters,
// digits, dots, hyphens, or an IPv6 reference.
func hostLike(h string) bool {
	if h == "" || strings.ContainsRune(".-:]", rune(h[0])) {
		return false
	}
	for _, c := range h {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.ContainsRune(".-:[]", c)) {
			return false
		}
	}
	return true
}
