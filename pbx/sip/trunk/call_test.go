package trunk

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/core"
	"github.com/hookswitch/hookswitch/pbx/dialplan"
	pbxsip "github.com/hookswitch/hookswitch/pbx/sip"
)

// The calls of a trunk are the phones' SIP legs, so what the phones' legs
// do the trunk's do too. These tests run the engine, the trunk and a raw
// UDP provider in one process; the media is a fake that plays a level per
// party, so a test sees who hears whom through the engine's bridge.

const (
	provLevel   = 3000 // what the provider sends
	analogLevel = 100  // what the analog phone sends
	account     = "4930123456"
	accountPW   = "trunk-secret"
)

// pace is the engine's frontend: a step per millisecond of real time,
// while the engine's time stands still (no timer of the engine fires).
type pace struct{}

func (pace) Receive() (time.Time, error) {
	time.Sleep(time.Millisecond)
	return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), nil
}
func (pace) Send() {}

// analog is an analog extension (100) as the engine sees it: it rings when
// offered a call, and keeps what it hears. Engine goroutine only.
type analog struct {
	call    *core.Call
	ringing bool
	digits  string
	// heard since mark: frames, frames that were the provider, loudest sample
	frames, fromProv int
	loudest          int16
}

func (a *analog) Name() string { return "fxs/1" }
func (a *analog) Offer(c *core.Call, _ core.Party) error {
	if a.call != nil {
		return core.ErrBusy
	}
	a.call, a.ringing = c, true
	c.Ringing(a)
	return nil
}
func (a *analog) Indicate(*core.Call, core.Indication) {}
func (a *analog) Hangup(c *core.Call, _ core.Cause) {
	if c == a.call {
		a.call, a.ringing = nil, false
	}
}
func (a *analog) Transferred(from, to *core.Call) {
	if from == a.call {
		a.call = to
	}
}
func (a *analog) ReadFrame(f *hal.Frame) {
	for i := range f {
		f[i] = analogLevel
	}
}
func (a *analog) WriteFrame(f *hal.Frame) {
	a.frames++
	if f[0] == provLevel && f[len(f)-1] == provLevel {
		a.fromProv++
	}
	for _, v := range f {
		a.loudest = max(a.loudest, v, -v)
	}
}
func (a *analog) SendDigit(d byte) { a.digits += string(d) }
func (a *analog) mark()            { a.frames, a.fromProv, a.loudest = 0, 0, 0 }

// fakeMedia plays the provider's level once the provider's SDP (s=provider)
// has been negotiated, and counts what it is sent.
type fakeMedia struct {
	mu     sync.Mutex
	remote string
	sent   int
	closed bool
}

func (m *fakeMedia) learn(sdp []byte) {
	for _, l := range strings.Split(string(sdp), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "s="); ok {
			m.mu.Lock()
			m.remote = v
			m.mu.Unlock()
		}
	}
}
func (m *fakeMedia) Offer() ([]byte, error) { return []byte(sdpOf("pbx", "sendrecv")), nil }
func (m *fakeMedia) Answer(offer []byte) ([]byte, error) {
	m.learn(offer)
	return []byte(sdpOf("pbx", "sendrecv")), nil
}
func (m *fakeMedia) Accept(answer []byte) error { m.learn(answer); return nil }
func (m *fakeMedia) ReadFrame(f *hal.Frame) {
	m.mu.Lock()
	v := int16(0)
	if m.remote == "provider" {
		v = provLevel
	}
	m.mu.Unlock()
	for i := range f {
		f[i] = v
	}
}
func (m *fakeMedia) WriteFrame(*hal.Frame) { m.mu.Lock(); m.sent++; m.mu.Unlock() }
func (m *fakeMedia) SendDigit(byte)        {}
func (m *fakeMedia) Digit() (byte, bool)   { return 0, false }
func (m *fakeMedia) Close() error          { m.mu.Lock(); m.closed = true; m.mu.Unlock(); return nil }

func sdpOf(who, dir string) string {
	return "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=" + who + "\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio 40000 RTP/AVP 0\r\na=" + dir + "\r\n"
}

type router struct {
	analog *analog
	trunk  *Trunk
}

func (r *router) Route(e dialplan.Entry) (core.Channel, error) {
	if e.Kind == dialplan.Trunk {
		return r.trunk.Channel()
	}
	return r.analog, nil
}

// bench is an engine with analog extension 100 and trunk "p" (prefix 9)
// to a provider on loopback.
type bench struct {
	t     *testing.T
	eng   *core.Engine
	a     *analog
	tr    *Trunk
	prov  *provider
	mu    sync.Mutex
	media []*fakeMedia
}

func newBench(t *testing.T) *bench {
	t.Helper()
	plan, err := dialplan.New([]dialplan.Entry{{Pattern: "100", Kind: dialplan.Extension, Target: "100"},
		{Pattern: "9.", Kind: dialplan.Trunk, Target: "p"}})
	if err != nil {
		t.Fatal(err)
	}
	b := &bench{t: t, a: &analog{}}
	rt := &router{analog: b.a}
	b.eng = core.New(slog.New(slog.DiscardHandler), pace{}, plan, rt)
	b.prov = newProvider(t)
	b.tr, err = Listen(slog.New(slog.DiscardHandler), Opts{Name: "p", Host: b.prov.c.LocalAddr().String(),
		Listen: "127.0.0.1:0", Username: account, Password: accountPW, Prefix: "9", Domain: "provider.test",
		DID: map[string]string{"4930123457": "100"}, Engine: b.eng, Media: b.newMedia})
	if err != nil {
		t.Fatal(err)
	}
	rt.trunk = b.tr
	b.prov.trunk = b.tr.Addr().(*net.UDPAddr)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.eng.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("engine: %v", err)
		}
	})
	b.tr.Serve()
	t.Cleanup(func() { _ = b.tr.Close(context.Background()) })
	return b
}

func (b *bench) newMedia() (pbxsip.Media, error) {
	m := &fakeMedia{}
	b.mu.Lock()
	b.media = append(b.media, m)
	b.mu.Unlock()
	return m, nil
}

// do runs fn in the engine goroutine.
func (b *bench) do(fn func()) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := b.eng.Do(ctx, fn); err != nil {
		b.t.Fatal(err)
	}
}

// until polls cond, run in the engine goroutine, for at most 5 s.
func (b *bench) until(what string, cond func() bool) {
	b.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok := false
		b.do(func() { ok = cond() })
		if ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: not so after 5 s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// hears waits for 50 frames at the analog phone after mark and reports
// how many were the provider's, and the loudest sample.
func (b *bench) hears() (fromProv, frames int, loudest int16) {
	b.t.Helper()
	b.do(b.a.mark)
	b.until("50 frames heard", func() bool {
		fromProv, frames, loudest = b.a.fromProv, b.a.frames, b.a.loudest
		return frames >= 50
	})
	return fromProv, frames, loudest
}

func (b *bench) mediaClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.media {
		m.mu.Lock()
		closed := m.closed
		m.mu.Unlock()
		if !closed {
			return false
		}
	}
	return true
}

// provider is a raw SIP provider on UDP: it answers BYE and keeps every
// request and response for the test.
type provider struct {
	t     *testing.T
	c     *net.UDPConn
	trunk *net.UDPAddr
	local string
	seq   int

	mu    sync.Mutex
	reqs  []*sip.Request
	resps []*sip.Response
}

func newProvider(t *testing.T) *provider {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := &provider{t: t, c: c, local: c.LocalAddr().String()}
	done := make(chan struct{})
	t.Cleanup(func() { c.Close(); <-done })
	go p.read(done)
	return p
}

func (p *provider) read(done chan struct{}) {
	defer close(done)
	buf := make([]byte, 65535)
	for {
		n, from, err := p.c.ReadFromUDP(buf)
		if err != nil {
			return
		}
		m, err := sip.ParseMessage(append([]byte(nil), buf[:n]...))
		if err != nil {
			continue
		}
		p.mu.Lock()
		switch m := m.(type) {
		case *sip.Response:
			if m.StatusCode != 100 {
				p.resps = append(p.resps, m)
			}
		case *sip.Request:
			if m.Method == sip.BYE {
				p.respondTo(m, from, 200, "OK", "")
			}
			p.reqs = append(p.reqs, m)
		}
		p.mu.Unlock()
	}
}

func (p *provider) write(msg string, to *net.UDPAddr) {
	if _, err := p.c.WriteToUDP([]byte(msg), to); err != nil {
		p.t.Error(err)
	}
}

// respondTo answers req; a non-empty body is SDP.
func (p *provider) respondTo(req *sip.Request, to *net.UDPAddr, code int, reason, body string, hdrs ...string) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	if tag, _ := res.To().Params.Get("tag"); tag == "" && code > 100 {
		res.To().Params.Add("tag", "prov")
	}
	res.AppendHeader(sip.NewHeader("Contact", "<sip:provider@"+p.local+">"))
	for _, h := range hdrs {
		k, v, _ := strings.Cut(h, ": ")
		res.AppendHeader(sip.NewHeader(k, v))
	}
	if body != "" {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		res.SetBody([]byte(body))
	}
	p.write(res.String(), to)
}

// respond answers a request from the trunk.
func (p *provider) respond(req *sip.Request, code int, reason, body string, hdrs ...string) {
	p.respondTo(req, p.trunk, code, reason, body, hdrs...)
}

// waitReq returns the first kept request with method that ok accepts, and forgets it.
func (p *provider) waitReq(method sip.RequestMethod, ok func(*sip.Request) bool) *sip.Request {
	p.t.Helper()
	return take(p, &p.reqs, "request "+string(method), func(r *sip.Request) bool {
		return r.Method == method && (ok == nil || ok(r))
	})
}

// waitRes returns the first kept response to method in call callID with a
// code ok accepts, and forgets it.
func (p *provider) waitRes(method sip.RequestMethod, callID string, ok func(int) bool) *sip.Response {
	p.t.Helper()
	return take(p, &p.resps, "response to "+string(method), func(r *sip.Response) bool {
		return r.CSeq().MethodName == method && r.CallID().Value() == callID && ok(r.StatusCode)
	})
}

// take waits up to 5 s for an entry of *list that match accepts, removes
// and returns it.
func take[T any](p *provider, list *[]T, what string, match func(T) bool) T {
	p.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		for i, x := range *list {
			if match(x) {
				*list = append((*list)[:i], (*list)[i+1:]...)
				p.mu.Unlock()
				return x
			}
		}
		p.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	p.t.Fatalf("provider: no %s", what)
	var zero T
	return zero
}

func final(code int) bool { return code >= 200 }

const sdp = "application/sdp"

// inCall is the provider's side of a call it placed.
type inCall struct {
	callID, toTag, target string
	cseq                  int
}

// send sends a request in the provider's call c, with a body of type ctype.
func (p *provider) send(c *inCall, method sip.RequestMethod, ctype, body string, hdrs ...string) {
	if method != sip.ACK {
		c.cseq++
	}
	p.seq++
	to := "<sip:4930123457@provider.test>"
	if c.toTag != "" {
		to += ";tag=" + c.toTag
	}
	msg := fmt.Sprintf("%s %s SIP/2.0\r\nVia: SIP/2.0/UDP %s;rport;branch=z9hG4bK-p%d-%d\r\nMax-Forwards: 70\r\n"+
		"From: \"Not Shown\" <sip:111@provider.test>;tag=pf\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\n"+
		"Contact: <sip:provider@%s>\r\nAllow: INVITE, ACK, BYE, CANCEL, INFO\r\n",
		method, c.target, p.local, p.seq, time.Now().UnixNano(), to, c.callID, c.cseq, method, p.local)
	for _, h := range hdrs {
		msg += h + "\r\n"
	}
	if body != "" {
		msg += "Content-Type: " + ctype + "\r\n"
	}
	p.write(msg+fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body), p.trunk)
}

// TestProviderHoldMusic: the provider calls in on a DID with a session
// timer, extension 100 answers, and the 200 accepts the timer (RFC 4028
// §9). The provider holds the call with a re-INVITE (sendonly): the
// analog phone hears the engine's hold music instead of silence, and the
// provider again after the resume; a digit sent by INFO reaches the phone;
// the provider's BYE ends the call and releases the media.
func TestProviderHoldMusic(t *testing.T) {
	b := newBench(t)
	p := b.prov
	c := &inCall{callID: "hold-1", target: "sip:" + account + "@" + b.tr.Addr().String()}
	p.send(c, sip.INVITE, sdp, sdpOf("provider", "sendrecv"), "Supported: timer", "Session-Expires: 1800",
		"P-Asserted-Identity: \"Bob Outside\" <sip:0170999888@provider.test>")
	p.waitRes(sip.INVITE, c.callID, func(code int) bool { return code == 180 })
	var caller core.Party
	b.until("100 rings", func() bool {
		if b.a.call != nil {
			caller = b.a.call.From
		}
		return b.a.ringing
	})
	if caller != (core.Party{Number: "0170999888", Name: "Bob Outside"}) {
		t.Errorf("caller %+v, want the asserted identity", caller)
	}
	b.do(func() { b.a.call.Answer(b.a) })
	ok := p.waitRes(sip.INVITE, c.callID, final)
	if ok.StatusCode != 200 {
		t.Fatalf("INVITE: %d", ok.StatusCode)
	}
	if se, req := ok.GetHeader("Session-Expires"), ok.GetHeader("Require"); se == nil || se.Value() != "1800;refresher=uac" ||
		req == nil || req.Value() != "timer" {
		t.Errorf("200 without the session timer: %s", ok)
	}
	c.toTag, _ = ok.To().Params.Get("tag")
	c.target = ok.Contact().Address.String()
	p.send(c, sip.ACK, "", "")
	if fromProv, frames, _ := b.hears(); fromProv != frames {
		t.Fatalf("connected: %d of %d frames from the provider", fromProv, frames)
	}

	held := func(want bool) func() bool {
		return func() bool { return b.a.call != nil && b.a.call.OnHold() == want }
	}
	for _, step := range []struct {
		dir  string
		hold bool
	}{{"sendonly", true}, {"sendrecv", false}} {
		p.send(c, sip.INVITE, sdp, sdpOf("provider", step.dir))
		if res := p.waitRes(sip.INVITE, c.callID, final); res.StatusCode != 200 {
			t.Fatalf("re-INVITE %s: %d", step.dir, res.StatusCode)
		}
		p.send(c, sip.ACK, "", "")
		b.until(fmt.Sprintf("on hold %v", step.hold), held(step.hold))
		fromProv, frames, loudest := b.hears()
		switch {
		case step.hold && (fromProv != 0 || loudest < 100):
			t.Errorf("held: %d of %d frames from the provider, loudest %d; want hold music", fromProv, frames, loudest)
		case !step.hold && fromProv != frames:
			t.Errorf("resumed: %d of %d frames from the provider", fromProv, frames)
		}
	}

	p.send(c, sip.INFO, "application/dtmf-relay", "Signal=5\r\nDuration=160\r\n")
	p.waitRes(sip.INFO, c.callID, final)
	b.until("the digit reaches the phone", func() bool { return b.a.digits == "5" })

	p.send(c, sip.BYE, "", "")
	if res := p.waitRes(sip.BYE, c.callID, final); res.StatusCode != 200 {
		t.Errorf("BYE: %d", res.StatusCode)
	}
	b.until("call ended", func() bool { return b.a.call == nil && len(b.eng.Calls()) == 0 })
	if !b.mediaClosed() {
		t.Error("media left open")
	}
}

// TestProviderEarlyMedia: 100 dials 9 and a number; the trunk asks the
// provider for the number without the 9, presents the account's number
// with Alice's name, and answers the provider's challenge. The provider's
// 183 with SDP brings its announcement to the analog phone while the call
// still alerts; then it answers, and 100's hang-up sends it BYE.
func TestProviderEarlyMedia(t *testing.T) {
	b := newBench(t)
	p := b.prov
	var call *core.Call
	b.do(func() { call = b.eng.Dial(b.a, core.Party{Number: "100", Name: "Alice Analog"}, "90305551234") })
	inv := p.waitReq(sip.INVITE, nil)
	if inv.Recipient.User != "0305551234" || inv.Recipient.Host != "provider.test" {
		t.Errorf("Request-URI %s", inv.Recipient.String())
	}
	if f := inv.From(); f.Address.User != account || f.DisplayName != "Alice Analog" {
		t.Errorf("From %s", f.Value())
	}
	if h := inv.GetHeader("P-Preferred-Identity"); h == nil || h.Value() != "<sip:"+account+"@provider.test>" {
		t.Errorf("P-Preferred-Identity %v", h)
	}
	p.respond(inv, 401, "Unauthorized", "", `WWW-Authenticate: Digest realm="provider.test", nonce="n1", algorithm=MD5`)
	p.waitReq(sip.ACK, nil)
	inv = p.waitReq(sip.INVITE, nil)
	if h := inv.GetHeader("Authorization"); h == nil || !strings.Contains(h.Value(), `username="`+account+`"`) {
		t.Fatalf("the challenge was not answered with the account: %v", h)
	}

	p.respond(inv, 183, "Session Progress", sdpOf("provider", "sendrecv"))
	b.until("early media", func() bool { return call.State == core.Alerting && b.a.fromProv > 0 })
	if fromProv, frames, _ := b.hears(); fromProv != frames {
		t.Errorf("early media: %d of %d frames from the provider", fromProv, frames)
	}
	b.do(func() {
		if call.State != core.Alerting {
			t.Errorf("call %s before the answer", call.State)
		}
	})

	p.respond(inv, 200, "OK", sdpOf("provider", "sendrecv"))
	p.waitReq(sip.ACK, nil)
	b.until("answered", func() bool { return call.State == core.Connected })
	if n := b.tr.Calls(); n != 1 {
		t.Errorf("trunk has %d calls, want 1", n)
	}
	b.do(func() { call.Hangup(b.a) })
	p.waitReq(sip.BYE, func(r *sip.Request) bool { return r.CallID().Value() == inv.CallID().Value() })
	b.until("media closed", func() bool { return b.mediaClosed() })
	if n := b.tr.Calls(); n != 0 {
		t.Errorf("trunk has %d calls after the hang-up", n)
	}
}
