package sip

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/hookswitch/hookswitch/pbx/sip/auth"
)

// users is a fixed directory for tests.
type users map[string][2]string // ext → password, name

func (u users) SIPUser(ext string) (string, string, bool) {
	v, ok := u[ext]
	return v[0], v[1], ok
}

var testUsers = users{"200": {"Carol-Secret-200", "Carol Desk"}, "201": {"Dan-Secret-201", "Dan Soft"}}

// fakeClock is a settable clock for the server.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newServer(t *testing.T, o Opts) *Server {
	t.Helper()
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.Users == nil {
		o.Users = testUsers
	}
	s, err := Listen(slog.New(slog.DiscardHandler), o)
	if err != nil {
		t.Fatal(err)
	}
	s.Serve()
	t.Cleanup(func() { _ = s.Close(t.Context()) })
	return s
}

// phone is a raw UDP SIP client on a chosen loopback address.
type phone struct {
	t    *testing.T
	c    *net.UDPConn
	srv  string
	seq  int
	user string
}

func newPhone(t *testing.T, s *Server, local string) *phone {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort(local)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &phone{t: t, c: c, srv: s.Addr().String()}
}

func (p *phone) send(msg string) {
	p.t.Helper()
	dst, _ := net.ResolveUDPAddr("udp", p.srv)
	if _, err := p.c.WriteToUDP([]byte(msg), dst); err != nil {
		p.t.Fatal(err)
	}
}

// recv returns the next response, or nil after the timeout.
func (p *phone) recv(timeout time.Duration) *sip.Response {
	p.t.Helper()
	buf := make([]byte, 65535)
	_ = p.c.SetReadDeadline(time.Now().Add(timeout))
	for {
		n, _, err := p.c.ReadFromUDP(buf)
		if err != nil {
			return nil
		}
		m, err := sip.ParseMessage(buf[:n])
		if err != nil {
			p.t.Fatalf("unparseable reply: %v\n%s", err, buf[:n])
		}
		if r, ok := m.(*sip.Response); ok {
			if r.StatusCode == 100 {
				continue
			}
			return r
		}
	}
}

func (p *phone) register(user, contactExtra, authz string, expires int) *sip.Response {
	p.t.Helper()
	p.seq++
	local := p.c.LocalAddr().String()
	msg := fmt.Sprintf("REGISTER sip:%s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %s;rport;branch=z9hG4bK-%d-%d\r\n"+
		"Max-Forwards: 70\r\nFrom: <sip:%s@%s>;tag=f%d\r\nTo: <sip:%s@%s>\r\n"+
		"Call-ID: reg-%s-%s\r\nCSeq: %d REGISTER\r\nContact: <sip:%s@%s>%s\r\nExpires: %d\r\n",
		p.srv, local, p.seq, time.Now().UnixNano(), user, p.srv, p.seq, user, p.srv, user, local, p.seq, user, local, contactExtra, expires)
	if authz != "" {
		msg += "Authorization: " + authz + "\r\n"
	}
	p.send(msg + "Content-Length: 0\r\n\r\n")
	return p.recv(3 * time.Second)
}

// registerAuth registers with the challenge whose algorithm is alg.
func (p *phone) registerAuth(user, pass string, alg auth.Algorithm, expires int) *sip.Response {
	p.t.Helper()
	res := p.register(user, "", "", expires)
	if res == nil || res.StatusCode != 401 {
		p.t.Fatalf("first REGISTER: %v, want 401", res)
	}
	return p.register(user, "", credentials(p.t, res, alg, "REGISTER", "sip:"+p.srv, user, pass), expires)
}

func credentials(t *testing.T, res *sip.Response, alg auth.Algorithm, method, uri, user, pass string) string {
	t.Helper()
	for _, h := range res.GetHeaders("WWW-Authenticate") {
		c, err := digest.ParseChallenge(h.Value())
		if err != nil {
			t.Fatal(err)
		}
		if c.Algorithm != string(alg) {
			continue
		}
		cr, err := digest.Digest(c, digest.Options{Method: method, URI: uri, Username: user, Password: pass,
			Cnonce: "c0ffee", Count: 1})
		if err != nil {
			t.Fatal(err)
		}
		return cr.String()
	}
	t.Fatalf("no %s challenge in\n%s", alg, res)
	return ""
}

func TestOptions(t *testing.T) {
	s := newServer(t, Opts{})
	p := newPhone(t, s, "127.0.0.1:0")
	local := p.c.LocalAddr().String()
	p.send("OPTIONS sip:" + p.srv + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bK-test1\r\n" +
		"Max-Forwards: 70\r\nTo: <sip:" + p.srv + ">\r\n" +
		"From: <sip:probe@" + local + ">;tag=1\r\nCall-ID: test-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
	res := p.recv(3 * time.Second)
	if res == nil || res.StatusCode != 200 || res.GetHeader("Allow") == nil {
		t.Errorf("reply: %v", res)
	}
}

func TestRegister(t *testing.T) {
	for _, alg := range []auth.Algorithm{auth.MD5, auth.SHA256} {
		t.Run(string(alg), func(t *testing.T) {
			s := newServer(t, Opts{})
			p := newPhone(t, s, "127.0.0.1:0")
			res := p.registerAuth("200", "Carol-Secret-200", alg, 120)
			if res == nil || res.StatusCode != 200 {
				t.Fatalf("REGISTER: %v", res)
			}
			c := res.GetHeader("Contact")
			if c == nil || !strings.Contains(c.Value(), "expires=120") {
				t.Errorf("200 contact %v", c)
			}
			bs := s.Registrar().Contacts("200", time.Now())
			if len(bs) != 1 || bs[0].Source != p.c.LocalAddr().String() {
				t.Fatalf("bindings %+v", bs)
			}
			// Unregister.
			res = p.registerAuth("200", "Carol-Secret-200", alg, 0)
			if res == nil || res.StatusCode != 200 || len(s.Registrar().Contacts("200", time.Now())) != 0 {
				t.Errorf("unregister: %v", res)
			}
		})
	}
}

func TestRegisterSameAnswerForUnknownUser(t *testing.T) {
	s := newServer(t, Opts{})
	p := newPhone(t, s, "127.0.0.1:0")
	first := p.register("200", "", "", 60)
	wrong := p.register("200", "", credentials(t, first, auth.MD5, "REGISTER", "sip:"+p.srv, "200", "guess"), 60)
	first = p.register("999", "", "", 60)
	unknown := p.register("999", "", credentials(t, first, auth.MD5, "REGISTER", "sip:"+p.srv, "999", "guess"), 60)
	if wrong == nil || unknown == nil {
		t.Fatal("no answer")
	}
	shape := func(r *sip.Response) string {
		var hs []string
		for _, h := range r.Headers() {
			v := h.Value()
			if h.Name() == "WWW-Authenticate" {
				c, _ := digest.ParseChallenge(v)
				v = c.Algorithm + " " + strings.Join(c.QOP, ",") + " " + c.Realm
			}
			switch h.Name() {
			case "Via", "From", "To", "Call-ID", "CSeq":
				continue
			}
			hs = append(hs, h.Name()+": "+v)
		}
		return fmt.Sprintf("%d %s\n%s", r.StatusCode, r.Reason, strings.Join(hs, "\n"))
	}
	if a, b := shape(wrong), shape(unknown); a != b {
		t.Errorf("wrong password:\n%s\nunknown user:\n%s", a, b)
	}
	if wrong.StatusCode != 401 {
		t.Errorf("status %d", wrong.StatusCode)
	}
}

func TestRegisterOtherUsersBinding(t *testing.T) {
	s := newServer(t, Opts{})
	p := newPhone(t, s, "127.0.0.1:0")
	first := p.register("201", "", "", 60)
	// Dan's credentials cannot register a contact for Carol's AOR.
	p.seq++
	local := p.c.LocalAddr().String()
	authz := credentials(t, first, auth.MD5, "REGISTER", "sip:"+p.srv, "200", "Carol-Secret-200")
	p.send(fmt.Sprintf("REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-x9\r\nMax-Forwards: 70\r\n"+
		"From: <sip:201@%s>;tag=a\r\nTo: <sip:201@%s>\r\nCall-ID: x9\r\nCSeq: 9 REGISTER\r\nContact: <sip:201@%s>\r\n"+
		"Authorization: %s\r\nContent-Length: 0\r\n\r\n", p.srv, local, p.srv, p.srv, local, authz))
	if res := p.recv(3 * time.Second); res == nil || res.StatusCode != 403 {
		t.Errorf("got %v, want 403", res)
	}
}

func TestBruteForceBan(t *testing.T) {
	s := newServer(t, Opts{Guard: auth.GuardOpts{BanAfter: 3, BanFor: time.Minute}})
	attacker := newPhone(t, s, "127.0.0.7:0")
	for i := 0; i < 3; i++ {
		first := attacker.register("200", "", "", 60)
		if first == nil || first.StatusCode != 401 {
			t.Fatalf("attempt %d: no challenge: %v", i, first)
		}
		res := attacker.register("200", "", credentials(t, first, auth.MD5, "REGISTER", "sip:"+attacker.srv, "200", fmt.Sprint("guess", i)), 60)
		if res == nil || res.StatusCode != 401 {
			t.Fatalf("attempt %d: %v", i, res)
		}
	}
	// Banned: silence, even with the right password.
	if res := attacker.register("200", "", "", 60); res != nil {
		t.Fatalf("banned source answered: %d", res.StatusCode)
	}
	// Another address is unaffected.
	good := newPhone(t, s, "127.0.0.8:0")
	if res := good.registerAuth("200", "Carol-Secret-200", auth.MD5, 60); res == nil || res.StatusCode != 200 {
		t.Fatalf("other source: %v", res)
	}
}

func TestBanExpires(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := newServer(t, Opts{Guard: auth.GuardOpts{BanAfter: 1, BanFor: time.Minute}, Now: clk.Now})
	p := newPhone(t, s, "127.0.0.9:0")
	first := p.register("200", "", "", 60)
	p.register("200", "", credentials(t, first, auth.MD5, "REGISTER", "sip:"+p.srv, "200", "nope"), 60)
	if res := p.register("200", "", "", 60); res != nil {
		t.Fatal("not banned")
	}
	clk.Add(61 * time.Second)
	if res := p.registerAuth("200", "Carol-Secret-200", auth.MD5, 60); res == nil || res.StatusCode != 200 {
		t.Fatalf("after the ban: %v", res)
	}
}

func TestAllowedNetworks(t *testing.T) {
	s := newServer(t, Opts{Guard: auth.GuardOpts{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}})
	in := newPhone(t, s, "127.0.0.1:0")
	if res := in.register("200", "", "", 60); res == nil || res.StatusCode != 401 {
		t.Fatalf("allowed source: %v", res)
	}
	out := newPhone(t, s, "127.0.0.2:0")
	if res := out.register("200", "", "", 60); res != nil {
		t.Fatalf("disallowed source answered %d", res.StatusCode)
	}
}

func TestStaleNonce(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := newServer(t, Opts{Now: clk.Now})
	p := newPhone(t, s, "127.0.0.1:0")
	first := p.register("200", "", "", 60)
	clk.Add(10 * time.Minute)
	res := p.register("200", "", credentials(t, first, auth.MD5, "REGISTER", "sip:"+p.srv, "200", "Carol-Secret-200"), 60)
	if res == nil || res.StatusCode != 401 || !strings.Contains(res.GetHeader("WWW-Authenticate").Value(), "stale=true") {
		t.Fatalf("expired nonce: %v", res)
	}
}

func TestMultipleDevices(t *testing.T) {
	s := newServer(t, Opts{})
	for i := 0; i < 3; i++ {
		p := newPhone(t, s, "127.0.0.1:0")
		if res := p.registerAuth("200", "Carol-Secret-200", auth.MD5, 300); res == nil || res.StatusCode != 200 {
			t.Fatalf("device %d: %v", i, res)
		} else if n := len(res.GetHeaders("Contact")); n != i+1 {
			t.Errorf("device %d: 200 lists %d contacts", i, n)
		}
	}
	if n := len(s.Registrar().Contacts("200", time.Now())); n != 3 {
		t.Errorf("%d bindings, want 3", n)
	}
}
