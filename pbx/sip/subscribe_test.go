package sip

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/hookswitch/hookswitch/pbx/core"
	"github.com/hookswitch/hookswitch/pbx/sip/auth"
)

// fakeMailboxes is a voicemail store the test fills.
type fakeMailboxes struct {
	mu     sync.Mutex
	counts map[string][2]int
}

func (m *fakeMailboxes) Summary(ext string) (int, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.counts[ext]
	return c[0], c[1]
}

func (m *fakeMailboxes) set(ext string, nw, old int) {
	m.mu.Lock()
	m.counts[ext] = [2]int{nw, old}
	m.mu.Unlock()
}

// watcher is a raw UDP subscriber: it sends SUBSCRIBEs, answers NOTIFYs
// with a chosen status and hands both to the test.
type watcher struct {
	t      *testing.T
	c      *net.UDPConn
	srv    string
	user   string
	pass   string
	seq    int
	callID string
	toTag  string       // the notifier's tag, once the dialog exists
	notify atomic.Int32 // the status NOTIFYs get

	res  chan *sip.Response
	reqs chan *sip.Request
}

func newWatcher(t *testing.T, s *Server, user, pass string) *watcher {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	w := &watcher{t: t, c: c, srv: s.Addr().String(), user: user, pass: pass,
		callID: fmt.Sprintf("sub-%d", time.Now().UnixNano()), res: make(chan *sip.Response, 16), reqs: make(chan *sip.Request, 16)}
	w.notify.Store(200)
	done := make(chan struct{})
	t.Cleanup(func() { c.Close(); <-done })
	go w.read(done)
	return w
}

func (w *watcher) read(done chan struct{}) {
	defer close(done)
	buf := make([]byte, 65535)
	for {
		n, from, err := w.c.ReadFromUDP(buf)
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
				w.res <- m
			}
		case *sip.Request:
			res := sip.NewResponseFromRequest(m, int(w.notify.Load()), "Whatever", nil)
			_, _ = w.c.WriteToUDP([]byte(res.String()), from)
			w.reqs <- m
		}
	}
}

// subscribe sends one SUBSCRIBE (in the dialog once there is one), answers
// a challenge, and returns the final response.
func (w *watcher) subscribe(resource, event string, expires int) *sip.Response {
	w.t.Helper()
	send := func(authz string) *sip.Response {
		w.seq++
		local := w.c.LocalAddr().String()
		to := fmt.Sprintf("<sip:%s@%s>", resource, w.srv)
		if w.toTag != "" {
			to += ";tag=" + w.toTag
		}
		msg := fmt.Sprintf("SUBSCRIBE sip:%s@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;rport;branch=z9hG4bK-s%d-%d\r\n"+
			"Max-Forwards: 70\r\nFrom: \"W\" <sip:%s@%s>;tag=w1\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d SUBSCRIBE\r\n"+
			"Contact: <sip:%s@%s>\r\nEvent: %s\r\nExpires: %d\r\n",
			resource, w.srv, local, w.seq, time.Now().UnixNano(), w.user, w.srv, to, w.callID, w.seq, w.user, local, event, expires)
		if authz != "" {
			msg += "Authorization: " + authz + "\r\n"
		}
		dst, _ := net.ResolveUDPAddr("udp", w.srv)
		if _, err := w.c.WriteToUDP([]byte(msg+"Content-Length: 0\r\n\r\n"), dst); err != nil {
			w.t.Fatal(err)
		}
		select {
		case r := <-w.res:
			return r
		case <-time.After(3 * time.Second):
			w.t.Fatal("no answer to SUBSCRIBE")
		}
		return nil
	}
	res := send("")
	if res.StatusCode == 401 {
		res = send(credentials(w.t, res, auth.MD5, "SUBSCRIBE", "sip:"+resource+"@"+w.srv, w.user, w.pass))
	}
	if res.StatusCode == 200 && w.toTag == "" {
		w.toTag, _ = res.To().Params.Get("tag")
	}
	return res
}

// next returns the next NOTIFY.
func (w *watcher) next() *sip.Request {
	w.t.Helper()
	select {
	case r := <-w.reqs:
		if r.Method != sip.NOTIFY {
			w.t.Fatalf("got %s, want NOTIFY", r.Method)
		}
		return r
	case <-time.After(3 * time.Second):
		w.t.Fatal("no NOTIFY")
	}
	return nil
}

func (w *watcher) quiet() {
	w.t.Helper()
	select {
	case r := <-w.reqs:
		w.t.Fatalf("unexpected %s:\n%s", r.Method, r)
	case <-time.After(200 * time.Millisecond):
	}
}

func header(r *sip.Request, name string) string {
	if h := r.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

func TestSubscribeMessageSummary(t *testing.T) {
	mb := &fakeMailboxes{counts: map[string][2]int{}}
	s := newServer(t, Opts{Mailboxes: mb})
	w := newWatcher(t, s, "200", "Carol-Secret-200")

	res := w.subscribe("200", "message-summary", 600)
	if res.StatusCode != 200 || res.GetHeader("Expires") == nil || res.GetHeader("Expires").Value() != "600" || w.toTag == "" {
		t.Fatalf("SUBSCRIBE: %v", res)
	}
	n := w.next()
	if header(n, "Event") != "message-summary" || header(n, "Subscription-State") != "active;expires=600" ||
		header(n, "Content-Type") != "application/simple-message-summary" {
		t.Errorf("first NOTIFY:\n%s", n)
	}
	if tag, _ := n.From().Params.Get("tag"); tag != w.toTag || n.CallID().Value() != w.callID {
		t.Errorf("NOTIFY outside the dialog: from tag %q call-id %q", tag, n.CallID().Value())
	}
	if !strings.HasPrefix(string(n.Body()), "Messages-Waiting: no\r\n") {
		t.Errorf("empty mailbox body %q", n.Body())
	}

	mb.set("200", 2, 5)
	s.MailboxChanged("200")
	s.MailboxChanged("201") // nobody watches 201: nothing sent
	n2 := w.next()
	if b := string(n2.Body()); !strings.Contains(b, "Messages-Waiting: yes") || !strings.Contains(b, "Voice-Message: 2/5 (0/0)") {
		t.Errorf("after a message: %q", b)
	}
	if n2.CSeq().SeqNo <= n.CSeq().SeqNo {
		t.Errorf("CSeq %d after %d", n2.CSeq().SeqNo, n.CSeq().SeqNo)
	}
	w.quiet()

	// Refresh within the dialog, then unsubscribe.
	if res := w.subscribe("200", "message-summary", 300); res.StatusCode != 200 || res.GetHeader("Expires").Value() != "300" {
		t.Fatalf("refresh: %v", res)
	}
	if st := header(w.next(), "Subscription-State"); st != "active;expires=300" {
		t.Errorf("after refresh: %s", st)
	}
	if res := w.subscribe("200", "message-summary", 0); res.StatusCode != 200 {
		t.Fatalf("unsubscribe: %v", res)
	}
	if st := header(w.next(), "Subscription-State"); !strings.HasPrefix(st, "terminated") {
		t.Errorf("after unsubscribe: %s", st)
	}
	if s.Subscriptions() != 0 {
		t.Errorf("%d subscriptions left", s.Subscriptions())
	}
	mb.set("200", 3, 5)
	s.MailboxChanged("200")
	w.quiet()
}

func TestSubscribeRefused(t *testing.T) {
	s := newServer(t, Opts{})
	for _, tc := range []struct {
		resource, event string
		expires         int
		code            int
	}{
		{"200", "presence", 600, 489},        // RFC 6665 §4.2.1.1
		{"201", "message-summary", 600, 403}, // another user's mailbox
		{"555", "dialog", 600, 404},          // no such extension
		{"201", "dialog", 10, 423},           // too brief
	} {
		w := newWatcher(t, s, "200", "Carol-Secret-200")
		res := w.subscribe(tc.resource, tc.event, tc.expires)
		if res.StatusCode != tc.code {
			t.Errorf("%s of %s: %d, want %d", tc.event, tc.resource, res.StatusCode, tc.code)
		}
		if tc.code == 489 && (res.GetHeader("Allow-Events") == nil || !strings.Contains(res.GetHeader("Allow-Events").Value(), "dialog")) {
			t.Errorf("489 without Allow-Events: %v", res)
		}
		if tc.code == 423 && res.GetHeader("Min-Expires") == nil {
			t.Errorf("423 without Min-Expires")
		}
	}
	// A wrong password is challenged again, like a REGISTER.
	w := newWatcher(t, s, "200", "wrong")
	if res := w.subscribe("201", "dialog", 600); res.StatusCode != 401 {
		t.Errorf("wrong password: %d, want 401", res.StatusCode)
	}
	if s.Subscriptions() != 0 {
		t.Errorf("%d subscriptions after refusals", s.Subscriptions())
	}
}

func TestSubscribeDialog(t *testing.T) {
	s := newServer(t, Opts{})
	w := newWatcher(t, s, "201", "Dan-Secret-201")
	if res := w.subscribe("200", "dialog", 600); res.StatusCode != 200 {
		t.Fatalf("SUBSCRIBE: %v", res)
	}
	versions := []string{}
	body := func(n *sip.Request) string {
		t.Helper()
		if header(n, "Content-Type") != "application/dialog-info+xml" || header(n, "Event") != "dialog" {
			t.Errorf("NOTIFY headers:\n%s", n)
		}
		b := string(n.Body())
		_, v, _ := strings.Cut(b, "<dialog-info")
		_, v, _ = strings.Cut(v, `version="`)
		v, _, _ = strings.Cut(v, `"`)
		versions = append(versions, v)
		return b
	}
	if b := body(w.next()); strings.Contains(b, "<dialog ") || !strings.Contains(b, `entity="sip:200@`) {
		t.Errorf("idle:\n%s", b)
	}
	s.DialogsChanged("200", []core.Dialog{{CallID: 7, State: core.DialogEarly, Remote: core.Party{Number: "100", Name: "Alice Analog"}}})
	if b := body(w.next()); !strings.Contains(b, `<dialog id="call-7" direction="recipient">`) ||
		!strings.Contains(b, "<state>early</state>") || !strings.Contains(b, `display="Alice Analog">sip:100@`) {
		t.Errorf("ringing:\n%s", b)
	}
	s.DialogsChanged("200", []core.Dialog{{CallID: 7, State: core.DialogConfirmed, Remote: core.Party{Number: "100"}}})
	if b := body(w.next()); !strings.Contains(b, "<state>confirmed</state>") {
		t.Errorf("answered:\n%s", b)
	}
	s.DialogsChanged("200", nil)
	if b := body(w.next()); strings.Contains(b, "<dialog ") {
		t.Errorf("idle again:\n%s", b)
	}
	if strings.Join(versions, ",") != "0,1,2,3" {
		t.Errorf("versions %v, want 0,1,2,3 (RFC 4235 §4.1)", versions)
	}
}

func TestSubscriptionExpires(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := newServer(t, Opts{Now: clk.Now})
	w := newWatcher(t, s, "201", "Dan-Secret-201")
	if res := w.subscribe("200", "dialog", 60); res.StatusCode != 200 {
		t.Fatalf("SUBSCRIBE: %v", res)
	}
	w.next()
	clk.Add(59 * time.Second)
	s.subs.sweep(clk.Now())
	w.quiet()
	clk.Add(time.Second)
	s.subs.sweep(clk.Now())
	if st := header(w.next(), "Subscription-State"); st != "terminated;reason=timeout" {
		t.Errorf("at expiry: %q", st)
	}
	if s.Subscriptions() != 0 {
		t.Errorf("%d subscriptions after expiry", s.Subscriptions())
	}
}

// TestSubscriberGone: a NOTIFY answered 481 ends the subscription (RFC 6665 §4.2.2).
func TestSubscriberGone(t *testing.T) {
	s := newServer(t, Opts{})
	w := newWatcher(t, s, "201", "Dan-Secret-201")
	if res := w.subscribe("200", "dialog", 600); res.StatusCode != 200 {
		t.Fatalf("SUBSCRIBE: %v", res)
	}
	w.next()
	w.notify.Store(481)
	s.DialogsChanged("200", []core.Dialog{{CallID: 1, State: core.DialogEarly}})
	w.next()
	deadline := time.Now().Add(3 * time.Second)
	for s.Subscriptions() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s.Subscriptions() != 0 {
		t.Error("subscription kept after 481")
	}
}
