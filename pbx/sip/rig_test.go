package sip

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/core"
	"github.com/hookswitch/hookswitch/pbx/dialplan"
	"github.com/hookswitch/hookswitch/pbx/sip/auth"
)

// The rig runs the engine and the SIP server in one process and drives
// them with raw UDP phones that answer, ring, refuse and REFER as a test
// tells them. The engine's clock moves only when the test moves it, so a
// transfer's recall time passes when the test says, not by waiting. Media
// is a fake that names its phone from the SDP and sends a level of its
// own, so the test sees who hears whom through the engine's bridge.

var rigUsers = users{
	"200": {"Carol-Secret-200", "Carol Desk"},
	"201": {"Dan-Secret-201", "Dan Soft"},
	"202": {"Erin-Secret-202", "Erin Lobby"},
	"203": {"Frank-Secret-203", "Frank Watch"},
}

// heldClock is the engine's frontend: each step takes about a millisecond
// of real time, while the engine's time stands still until add.
type heldClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *heldClock) Receive() (time.Time, error) {
	time.Sleep(time.Millisecond)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now, nil
}
func (c *heldClock) Send() {}
func (c *heldClock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type rigRouter struct {
	s      *Server
	analog map[string]core.Channel
}

func (r *rigRouter) Route(e dialplan.Entry) (core.Channel, error) {
	if ch, ok := r.analog[e.Target]; ok {
		return ch, nil
	}
	if _, _, ok := rigUsers.SIPUser(e.Target); ok {
		return r.s.Channel(e.Target)
	}
	return nil, core.ErrNoRoute
}

// rigRecall is the rig engine's transfer recall time.
const rigRecall = time.Minute

type rig struct {
	t      *testing.T
	s      *Server
	eng    *core.Engine
	clk    *heldClock
	media  *mediaReg
	analog *analogPort
}

func newRig(t *testing.T) *rig {
	t.Helper()
	var entries []dialplan.Entry
	for _, n := range []string{"100", "200", "201", "202", "203"} {
		entries = append(entries, dialplan.Entry{Pattern: n, Kind: dialplan.Extension, Target: n})
	}
	plan, err := dialplan.New(entries)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, clk: &heldClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		media: &mediaReg{levels: map[string]int16{}}}
	r.analog = &analogPort{level: 100}
	r.media.levels["100"] = 100
	rt := &rigRouter{analog: map[string]core.Channel{"100": r.analog}}
	r.eng = core.New(slog.New(slog.DiscardHandler), r.clk, plan, rt, core.WithTransferRecall(rigRecall))
	r.s = newServer(t, Opts{Users: rigUsers, Engine: r.eng, Media: r.media.factory})
	rt.s = r.s
	r.eng.Observe(func(ch core.Channel) string {
		if ch == core.Channel(r.analog) {
			return "100"
		}
		ext, _ := strings.CutPrefix(ch.Name(), "sip/")
		return ext
	}, r.s.DialogsChanged)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.eng.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("engine: %v", err)
		}
	})
	return r
}

// do runs fn in the engine goroutine.
func (r *rig) do(fn func()) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := r.eng.Do(ctx, fn); err != nil {
		r.t.Fatal(err)
	}
}

// calls describes the calls in progress: "sip/201>sip/200 connected".
func (r *rig) calls() []string {
	var out []string
	r.do(func() {
		for _, c := range r.eng.Calls() {
			b := "-"
			if c.B != nil {
				b = c.B.Name()
			}
			out = append(out, c.A.Name()+">"+b+" "+c.State.String())
		}
	})
	return out
}

// until polls cond every 5 ms of real time for at most 5 s.
func (r *rig) until(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("%s: not so after 5 s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// talking waits until phones a and b hear each other through the engine:
// frames written to each since now carry the other's level.
func (r *rig) talking(a, b string) {
	r.t.Helper()
	_, na := r.media.heard(a)
	_, nb := r.media.heard(b)
	r.until(a+" and "+b+" hear each other", func() bool {
		ha, ma := r.media.heard(a)
		hb, mb := r.media.heard(b)
		return ha == r.media.levelOf(b) && hb == r.media.levelOf(a) && ma > na+1 && mb > nb+1
	})
}

// mediaReg makes and keeps the fake media sessions.
type mediaReg struct {
	mu     sync.Mutex
	all    []*fakeMedia
	levels map[string]int16 // what each phone sends
}

func (g *mediaReg) factory() (Media, error) {
	m := &fakeMedia{reg: g}
	g.mu.Lock()
	g.all = append(g.all, m)
	g.mu.Unlock()
	return m, nil
}

// heard is the last sample the newest open session of phone who was
// sent, and a count of the frames written to phone who's sessions.
func (g *mediaReg) heard(who string) (int16, int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	last, n := int16(-1), 0
	for i := len(g.all) - 1; i >= 0; i-- {
		m := g.all[i]
		m.mu.Lock()
		w, h, closed, writes := m.who, m.heard, m.closed, m.writes
		m.mu.Unlock()
		if w != who {
			continue
		}
		n += writes
		if !closed && last == -1 {
			last = h
		}
	}
	return last, n
}

// fakeMedia is a leg's media: it learns its phone from the s= line of the
// phone's SDP and plays that phone's level into the engine.
type fakeMedia struct {
	reg    *mediaReg
	mu     sync.Mutex
	who    string
	heard  int16
	writes int
	closed bool
}

func (m *fakeMedia) learn(sdp []byte) {
	for _, l := range strings.Split(string(sdp), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "s="); ok && v != "-" {
			m.mu.Lock()
			m.who = v
			m.mu.Unlock()
		}
	}
}

func (m *fakeMedia) Offer() ([]byte, error) { return []byte(sdpOf("pbx")), nil }
func (m *fakeMedia) Answer(offer []byte) ([]byte, error) {
	m.learn(offer)
	return []byte(sdpOf("pbx")), nil
}
func (m *fakeMedia) Accept(answer []byte) error { m.learn(answer); return nil }
func (m *fakeMedia) ReadFrame(f *hal.Frame) {
	m.mu.Lock()
	who := m.who
	m.mu.Unlock()
	v := m.reg.levelOf(who)
	for i := range f {
		f[i] = v
	}
}
func (m *fakeMedia) WriteFrame(f *hal.Frame) {
	m.mu.Lock()
	m.heard = f[0]
	m.writes++
	m.mu.Unlock()
}
func (m *fakeMedia) SendDigit(byte)      {}
func (m *fakeMedia) Digit() (byte, bool) { return 0, false }
func (m *fakeMedia) Close() error        { m.mu.Lock(); m.closed = true; m.mu.Unlock(); return nil }

func (g *mediaReg) levelOf(who string) int16 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.levels[who]
}

func sdpOf(who string) string {
	return "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=" + who + "\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio 40000 RTP/AVP 0\r\na=sendrecv\r\n"
}

// analogPort is an analog extension (100) as the engine sees it: it rings
// when offered a call and stops when the call leaves it.
type analogPort struct {
	level   int16
	call    *core.Call // engine goroutine only
	ringing bool
	heard   int16
}

func (p *analogPort) Name() string            { return "fxs/1" }
func (p *analogPort) Self() core.Party        { return core.Party{Number: "100", Name: "Alice Analog"} }
func (p *analogPort) SendDigit(byte)          {}
func (p *analogPort) WriteFrame(f *hal.Frame) { p.heard = f[0] }
func (p *analogPort) ReadFrame(f *hal.Frame) {
	for i := range f {
		f[i] = p.level
	}
}
func (p *analogPort) Offer(c *core.Call, _ core.Party) error {
	if p.call != nil {
		return core.ErrBusy
	}
	p.call, p.ringing = c, true
	c.Ringing(p)
	return nil
}
func (p *analogPort) Indicate(*core.Call, core.Indication) {}
func (p *analogPort) Hangup(c *core.Call, _ core.Cause) {
	if c == p.call {
		p.call, p.ringing = nil, false
	}
}
func (p *analogPort) Transferred(from, to *core.Call) {
	if from == p.call {
		p.call = to
		p.ringing = p.ringing && to != nil
	}
}

// ua is a raw SIP phone on UDP. It answers BYE, NOTIFY, CANCEL and
// in-dialog INVITE/UPDATE itself, rings (180) at a new INVITE, and keeps
// every request and response for the test.
type ua struct {
	t     *testing.T
	c     *net.UDPConn
	srv   *net.UDPAddr
	host  string // the server's host:port
	user  string
	pass  string
	local string
	seq   int
	// allow is the Allow of the phone's 2xx to an INVITE; "" sends none.
	allow string
	// inDialog, when not 0, is what the phone answers an in-dialog INVITE or UPDATE.
	inDialog int

	mu      sync.Mutex
	reqs    []*sip.Request
	resps   []*sip.Response
	invites map[string]*inCall // by Call-ID
}

// inCall is an INVITE the phone received.
type inCall struct {
	req   *sip.Request
	tag   string // our To tag
	from  *net.UDPAddr
	final bool
}

// dialog is the phone's side of a dialog.
type dialog struct {
	callID, localTag, remoteTag string
	localURI, remoteURI         string
	target                      string // the remote Contact URI
	cseq                        int
	invite                      *sip.Request // ours, for an outgoing call
	branch                      string
}

func (r *rig) phone(user string, level int16) *ua {
	r.t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		r.t.Fatal(err)
	}
	r.media.mu.Lock()
	r.media.levels[user] = level
	r.media.mu.Unlock()
	u := &ua{t: r.t, c: c, srv: r.s.Addr().(*net.UDPAddr), host: r.s.Addr().String(), user: user,
		pass: rigUsers[user][0], local: c.LocalAddr().String(), invites: map[string]*inCall{},
		allow: "INVITE, ACK, CANCEL, BYE, NOTIFY, REFER"}
	done := make(chan struct{})
	r.t.Cleanup(func() { c.Close(); <-done })
	go u.read(done)
	return u
}

func (u *ua) write(msg string) {
	if _, err := u.c.WriteToUDP([]byte(msg), u.srv); err != nil {
		u.t.Error(err)
	}
}

func (u *ua) respond(req *sip.Request, to *net.UDPAddr, code int, reason, tag string, body string, allow ...string) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, a := range allow {
		if a != "" {
			res.AppendHeader(sip.NewHeader("Allow", a))
		}
	}
	if t, _ := req.To().Params.Get("tag"); t == "" && tag != "" {
		res.To().Params.Add("tag", tag) // sipgo made one up
	}
	res.AppendHeader(sip.NewHeader("Contact", "<sip:"+u.user+"@"+u.local+">"))
	if body != "" {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		res.SetBody([]byte(body))
	}
	if _, err := u.c.WriteToUDP([]byte(res.String()), to); err != nil {
		u.t.Error(err)
	}
}

func (u *ua) read(done chan struct{}) {
	defer close(done)
	buf := make([]byte, 65535)
	for {
		n, from, err := u.c.ReadFromUDP(buf)
		if err != nil {
			return
		}
		m, err := sip.ParseMessage(append([]byte(nil), buf[:n]...))
		if err != nil {
			continue
		}
		switch m := m.(type) {
		case *sip.Response:
			if m.StatusCode != 100 {
				u.mu.Lock()
				u.resps = append(u.resps, m)
				u.mu.Unlock()
			}
		case *sip.Request:
			u.handle(m, from)
		}
	}
}

func (u *ua) handle(req *sip.Request, from *net.UDPAddr) {
	totag, _ := req.To().Params.Get("tag")
	id := req.CallID().Value()
	u.mu.Lock()
	defer u.mu.Unlock()
	switch {
	case req.Method == sip.INVITE && totag == "":
		if ic := u.invites[id]; ic != nil {
			return // a retransmission
		}
		ic := &inCall{req: req, tag: fmt.Sprintf("u%s-%d", u.user, time.Now().UnixNano()), from: from}
		u.invites[id] = ic
		u.respond(req, from, 180, "Ringing", ic.tag, "")
	case req.Method == sip.CANCEL:
		u.respond(req, from, 200, "OK", "", "")
		if ic := u.invites[id]; ic != nil && !ic.final {
			ic.final = true
			u.respond(ic.req, ic.from, 487, "Request Terminated", ic.tag, "")
		}
	case req.Method == sip.ACK:
	case (req.Method == sip.INVITE || req.Method == sip.UPDATE) && u.inDialog != 0:
		u.respond(req, from, u.inDialog, "Refused", "", "")
	case req.Method == sip.INVITE || req.Method == sip.UPDATE:
		answer := ""
		if len(req.Body()) > 0 {
			answer = sdpOf(u.user)
		}
		u.respond(req, from, 200, "OK", "", answer)
	default:
		u.respond(req, from, 200, "OK", "", "")
	}
	u.reqs = append(u.reqs, req)
}

// waitReq returns the first request kept with method and Call-ID callID
// (any when empty), and forgets it.
func (u *ua) waitReq(method sip.RequestMethod, callID string) *sip.Request {
	u.t.Helper()
	return u.waitReqFunc(method, func(r *sip.Request) bool { return callID == "" || r.CallID().Value() == callID })
}

// waitReqFunc returns the first request kept with method that ok accepts.
func (u *ua) waitReqFunc(method sip.RequestMethod, ok func(*sip.Request) bool) *sip.Request {
	u.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		u.mu.Lock()
		for i, r := range u.reqs {
			if r.Method == method && ok(r) {
				u.reqs = append(u.reqs[:i], u.reqs[i+1:]...)
				u.mu.Unlock()
				return r
			}
		}
		u.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	u.t.Fatalf("phone %s: no %s", u.user, method)
	return nil
}

// noReq fails if a request with method arrived.
func (u *ua) noReq(method sip.RequestMethod) {
	u.t.Helper()
	time.Sleep(100 * time.Millisecond)
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, r := range u.reqs {
		if r.Method == method {
			u.t.Errorf("phone %s got %s:\n%s", u.user, method, r)
		}
	}
}

// waitRes returns the first final response to method in call callID, and
// forgets it and the provisional ones before it.
func (u *ua) waitRes(method sip.RequestMethod, callID string) *sip.Response {
	u.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		u.mu.Lock()
		for i, r := range u.resps {
			if r.CSeq().MethodName == method && r.CallID().Value() == callID && r.StatusCode >= 200 {
				u.resps = append(u.resps[:i], u.resps[i+1:]...)
				u.mu.Unlock()
				return r
			}
		}
		u.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	u.t.Fatalf("phone %s: no final answer to %s", u.user, method)
	return nil
}

// register binds the phone's address to its user.
func (u *ua) register() {
	u.t.Helper()
	callID := "reg-" + u.user + "-" + u.local
	send := func(authz string) *sip.Response {
		u.seq++
		msg := fmt.Sprintf("REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;rport;branch=z9hG4bK-r%s-%d\r\n"+
			"Max-Forwards: 70\r\nFrom: <sip:%s@%s>;tag=r%s\r\nTo: <sip:%s@%s>\r\nCall-ID: %s\r\nCSeq: %d REGISTER\r\n"+
			"Contact: <sip:%s@%s>\r\nExpires: 600\r\n", u.host, u.local, u.user, u.seq, u.user, u.host, u.user, u.user, u.host,
			callID, u.seq, u.user, u.local)
		if authz != "" {
			msg += "Authorization: " + authz + "\r\n"
		}
		u.write(msg + "Content-Length: 0\r\n\r\n")
		return u.waitRes(sip.REGISTER, callID)
	}
	res := send("")
	if res.StatusCode == 401 {
		res = send(credentials(u.t, res, auth.MD5, "REGISTER", "sip:"+u.host, u.user, u.pass))
	}
	if res.StatusCode != 200 {
		u.t.Fatalf("REGISTER %s: %d", u.user, res.StatusCode)
	}
}

// call sends an INVITE to number (with extra headers), answering the
// digest challenge; the final response comes through final.
func (u *ua) call(number string, extra ...string) *dialog {
	u.t.Helper()
	d := &dialog{callID: fmt.Sprintf("call-%s-%d", u.user, time.Now().UnixNano()), localTag: "f" + u.user,
		localURI:  fmt.Sprintf("\"%s\" <sip:%s@%s>", rigUsers[u.user][1], u.user, u.host),
		remoteURI: fmt.Sprintf("<sip:%s@%s>", number, u.host)}
	ruri := "sip:" + number + "@" + u.host
	send := func(authz string) {
		u.seq++
		d.cseq = u.seq
		d.branch = fmt.Sprintf("z9hG4bK-i%s-%d", u.user, time.Now().UnixNano())
		body := sdpOf(u.user)
		msg := fmt.Sprintf("INVITE %s SIP/2.0\r\nVia: SIP/2.0/UDP %s;rport;branch=%s\r\nMax-Forwards: 70\r\n"+
			"From: %s;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d INVITE\r\nContact: <sip:%s@%s>\r\n"+
			"Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, UPDATE\r\nSupported: replaces\r\n",
			ruri, u.local, d.branch, d.localURI, d.localTag, d.remoteURI, d.callID, d.cseq, u.user, u.local)
		for _, h := range extra {
			msg += h + "\r\n"
		}
		if authz != "" {
			msg += "Authorization: " + authz + "\r\n"
		}
		u.write(msg + fmt.Sprintf("Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
	}
	send("")
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		u.mu.Lock()
		var got *sip.Response
		for i, r := range u.resps {
			if r.CallID().Value() == d.callID && r.StatusCode == 401 {
				got = r
				u.resps = append(u.resps[:i], u.resps[i+1:]...)
				break
			}
		}
		u.mu.Unlock()
		if got != nil {
			u.ack(d, got)
			send(credentials(u.t, got, auth.MD5, "INVITE", ruri, u.user, u.pass))
			return d
		}
		time.Sleep(5 * time.Millisecond)
	}
	u.t.Fatalf("phone %s: INVITE not challenged", u.user)
	return nil
}

// final waits for the final response to the dialog's INVITE and ACKs it.
func (u *ua) final(d *dialog) *sip.Response {
	u.t.Helper()
	res := u.waitRes(sip.INVITE, d.callID)
	u.ack(d, res)
	if res.StatusCode < 300 {
		d.remoteTag, _ = res.To().Params.Get("tag")
		if ct := res.Contact(); ct != nil {
			d.target = ct.Address.String()
		}
	}
	return res
}

// ack acknowledges a final response: in the INVITE's transaction for a
// failure, as a new transaction for a 2xx (RFC 3261 §17.1.1.3, §13.2.2.4).
func (u *ua) ack(d *dialog, res *sip.Response) {
	branch, ruri := d.branch, "sip:"+strings.Trim(strings.SplitN(d.remoteURI, "sip:", 2)[1], ">")
	if res.StatusCode < 300 {
		branch = fmt.Sprintf("z9hG4bK-a%s-%d", u.user, time.Now().UnixNano())
		if ct := res.Contact(); ct != nil {
			ruri = ct.Address.String()
		}
	}
	totag, _ := res.To().Params.Get("tag")
	u.write(fmt.Sprintf("ACK %s SIP/2.0\r\nVia: SIP/2.0/UDP %s;rport;branch=%s\r\nMax-Forwards: 70\r\n"+
		"From: %s;tag=%s\r\nTo: %s;tag=%s\r\nCall-ID: %s\r\nCSeq: %d ACK\r\nContent-Length: 0\r\n\r\n",
		ruri, u.local, branch, d.localURI, d.localTag, d.remoteURI, totag, d.callID, d.cseq))
}

// incoming waits for an INVITE that starts a call and returns it.
func (u *ua) incoming() *inCall {
	u.t.Helper()
	req := u.waitReqFunc(sip.INVITE, func(r *sip.Request) bool {
		tag, _ := r.To().Params.Get("tag")
		return tag == ""
	})
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.invites[req.CallID().Value()]
}

// answer answers an incoming INVITE; the dialog is the phone's side of it.
func (u *ua) answer(ic *inCall) *dialog {
	u.mu.Lock()
	ic.final = true
	u.respond(ic.req, ic.from, 200, "OK", ic.tag, sdpOf(u.user), u.allow)
	u.mu.Unlock()
	from, _ := ic.req.From().Params.Get("tag")
	return &dialog{callID: ic.req.CallID().Value(), localTag: ic.tag, remoteTag: from,
		localURI: "<" + ic.req.To().Address.String() + ">", remoteURI: "<" + ic.req.From().Address.String() + ">",
		target: ic.req.Contact().Address.String(), cseq: 100}
}

// refuse answers an incoming INVITE with a failure.
func (u *ua) refuse(ic *inCall, code int, reason string) {
	u.mu.Lock()
	ic.final = true
	u.respond(ic.req, ic.from, code, reason, ic.tag, "")
	u.mu.Unlock()
}

// request sends a request in dialog d and returns its final response; a
// digest challenge is answered.
func (u *ua) request(d *dialog, method sip.RequestMethod, extra ...string) *sip.Response {
	u.t.Helper()
	send := func(authz string) *sip.Response {
		d.cseq++
		msg := fmt.Sprintf("%s %s SIP/2.0\r\nVia: SIP/2.0/UDP %s;rport;branch=z9hG4bK-d%s-%d\r\nMax-Forwards: 70\r\n"+
			"From: %s;tag=%s\r\nTo: %s;tag=%s\r\nCall-ID: %s\r\nCSeq: %d %s\r\nContact: <sip:%s@%s>\r\n",
			method, d.target, u.local, u.user, time.Now().UnixNano(), d.localURI, d.localTag, d.remoteURI, d.remoteTag,
			d.callID, d.cseq, method, u.user, u.local)
		for _, h := range extra {
			msg += h + "\r\n"
		}
		if authz != "" {
			msg += "Authorization: " + authz + "\r\n"
		}
		u.write(msg + "Content-Length: 0\r\n\r\n")
		return u.waitRes(method, d.callID)
	}
	res := send("")
	if res.StatusCode == 401 {
		res = send(credentials(u.t, res, auth.MD5, string(method), d.target, u.user, u.pass))
	}
	return res
}

// sipfrag returns the body of the next transfer NOTIFY in dialog d.
func (u *ua) sipfrag(d *dialog) string {
	u.t.Helper()
	return strings.TrimSpace(string(u.waitReq(sip.NOTIFY, d.callID).Body()))
}

// sipfrags returns the bodies of the transfer NOTIFYs in dialog d up to the
// one that ends the subscription.
func (u *ua) sipfrags(d *dialog) []string {
	u.t.Helper()
	var out []string
	for {
		n := u.waitReq(sip.NOTIFY, d.callID)
		out = append(out, strings.TrimSpace(string(n.Body())))
		if h := n.GetHeader("Subscription-State"); h != nil && strings.HasPrefix(h.Value(), "terminated") {
			return out
		}
	}
}
