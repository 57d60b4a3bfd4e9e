package auth

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/icholy/digest"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

var users = map[string]string{"200": "Carol-Secret-200"}

func lookup(u string) (string, bool) { p, ok := users[u]; return p, ok }

// answer builds credentials as a client would (icholy/digest's client side,
// an independent implementation of RFC 7616).
func answer(t *testing.T, chal, method, uri, user, pass string, nc int) string {
	t.Helper()
	c, err := digest.ParseChallenge(chal)
	if err != nil {
		t.Fatal(err)
	}
	cr, err := digest.Digest(c, digest.Options{Method: method, URI: uri, Username: user, Password: pass,
		Cnonce: "0a4f113b", Count: nc})
	if err != nil {
		t.Fatal(err)
	}
	return cr.String()
}

func TestChallengesOrder(t *testing.T) {
	d := New(Opts{Realm: "hookswitch", Rand: bytes.NewReader(make([]byte, 64))})
	ch, err := d.Challenges(netip.MustParseAddr("127.0.0.1"), t0, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch) != 2 || !strings.Contains(ch[0], "algorithm=MD5") || !strings.Contains(ch[1], "algorithm=SHA-256") {
		t.Fatalf("challenges %q: want MD5 then SHA-256", ch)
	}
	for _, c := range ch {
		if !strings.Contains(c, `qop="auth"`) || !strings.Contains(c, `realm="hookswitch"`) {
			t.Errorf("challenge %q lacks qop or realm", c)
		}
	}
}

func TestCheck(t *testing.T) {
	src := netip.MustParseAddr("192.0.2.7")
	type step struct {
		alg        int // index into challenges
		user, pass string
		method     string
		nc         int
		at         time.Duration
		want       Result
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"md5 ok", []step{{0, "200", "Carol-Secret-200", "REGISTER", 1, 0, OK}}},
		{"sha256 ok", []step{{1, "200", "Carol-Secret-200", "INVITE", 1, 0, OK}}},
		{"wrong password", []step{{1, "200", "guess", "REGISTER", 1, 0, Failed}}},
		{"unknown user", []step{{1, "999", "Carol-Secret-200", "REGISTER", 1, 0, Failed}}},
		{"nonce reuse with growing nc", []step{
			{1, "200", "Carol-Secret-200", "REGISTER", 1, 0, OK},
			{1, "200", "Carol-Secret-200", "REGISTER", 2, time.Minute, OK}}},
		{"replayed nc is stale", []step{
			{1, "200", "Carol-Secret-200", "REGISTER", 1, 0, OK},
			{1, "200", "Carol-Secret-200", "REGISTER", 1, time.Second, Stale}}},
		{"expired nonce is stale", []step{{0, "200", "Carol-Secret-200", "REGISTER", 1, 6 * time.Minute, Stale}}},
		{"expired nonce wrong password fails", []step{{0, "200", "x", "REGISTER", 1, 6 * time.Minute, Failed}}},
		{"method bound", []step{{1, "200", "Carol-Secret-200", "BYE", 1, 0, OK}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := New(Opts{Realm: "hookswitch"})
			ch, err := d.Challenges(src, t0, false)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tc.steps {
				hdr := answer(t, ch[s.alg], s.method, "sip:127.0.0.1", s.user, s.pass, s.nc)
				user, got := d.Check(Request{Method: s.method, Header: hdr, Src: src}, t0.Add(s.at), lookup)
				if got != s.want {
					t.Errorf("step %d: %v, want %v", i, got, s.want)
				}
				if user != s.user {
					t.Errorf("step %d: user %q, want %q", i, user, s.user)
				}
			}
		})
	}
}

func TestCheckTampered(t *testing.T) {
	d := New(Opts{Realm: "hookswitch"})
	ch, _ := d.Challenges(netip.MustParseAddr("192.0.2.7"), t0, false)
	hdr := answer(t, ch[0], "REGISTER", "sip:127.0.0.1", "200", "Carol-Secret-200", 1)
	for _, tc := range []struct {
		name, hdr, method string
		want              Result
	}{
		{"none", "", "REGISTER", NoCredentials},
		{"basic", "Basic Zm9vOmJhcg==", "REGISTER", NoCredentials},
		{"other realm", strings.Replace(hdr, `realm="hookswitch"`, `realm="elsewhere"`, 1), "REGISTER", NoCredentials},
		{"method changed", hdr, "INVITE", Failed},
		{"uri changed", strings.Replace(hdr, `uri="sip:127.0.0.1"`, `uri="sip:127.0.0.2"`, 1), "REGISTER", Failed},
		{"unknown algorithm", strings.Replace(hdr, "algorithm=MD5", "algorithm=SHA-512", 1), "REGISTER", Failed},
		{"garbage", "Digest username=", "REGISTER", Failed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, got := d.Check(Request{Method: tc.method, Header: tc.hdr}, t0, lookup); got != tc.want {
				t.Errorf("%v, want %v", got, tc.want)
			}
		})
	}
}

// TestRFC2617Vector checks the digest arithmetic against the worked example
// of RFC 2617 §3.5 (MD5, qop=auth).
func TestRFC2617Vector(t *testing.T) {
	cr := &digest.Credentials{Username: "Mufasa", Realm: "testrealm@host.com",
		Nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093", URI: "/dir/index.html", QOP: "auth", Nc: 1,
		Cnonce: "0a4f113b"}
	if got := response(MD5, cr, "GET", "Circle Of Life"); got != "6629fae49393a05397450978507c4ef1" {
		t.Errorf("response %s", got)
	}
}

func TestNonceTableBounded(t *testing.T) {
	d := New(Opts{Realm: "r", MaxNonces: 8})
	for i := 0; i < 100; i++ {
		if _, err := d.Challenges(netip.MustParseAddr("192.0.2.1"), t0, false); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(d.nonces); n > 8 {
		t.Errorf("%d nonces held, want at most 8", n)
	}
}

func TestGuard(t *testing.T) {
	a := netip.MustParseAddr("192.0.2.1")
	b := netip.MustParseAddr("192.0.2.2")
	g := NewGuard(GuardOpts{BanAfter: 3, BanFor: time.Minute})
	for i := 0; i < 2; i++ {
		if g.Fail(a, t0) {
			t.Fatalf("banned after %d failures", i+1)
		}
	}
	if !g.Permitted(a, t0) {
		t.Fatal("not permitted before the ban")
	}
	if !g.Fail(a, t0.Add(time.Second)) {
		t.Fatal("not banned after 3 failures")
	}
	if g.Permitted(a, t0.Add(30*time.Second)) {
		t.Error("banned address permitted")
	}
	if !g.Permitted(b, t0.Add(30*time.Second)) {
		t.Error("another address refused")
	}
	if !g.Permitted(a, t0.Add(62*time.Second)) {
		t.Error("still banned after ban_for")
	}
	// Failures spread wider than the window do not add up.
	g.Fail(b, t0)
	g.Fail(b, t0.Add(30*time.Second))
	if g.Fail(b, t0.Add(2*time.Minute)) {
		t.Error("failures outside the window banned")
	}
	// Success clears the count.
	g.Fail(b, t0.Add(2*time.Minute))
	g.Succeed(b)
	g.Fail(b, t0.Add(2*time.Minute))
	if g.Fail(b, t0.Add(2*time.Minute)) {
		t.Error("count survived a success")
	}
}

func TestGuardAllow(t *testing.T) {
	g := NewGuard(GuardOpts{Allow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}})
	for _, tc := range []struct {
		ip   string
		want bool
	}{{"10.1.2.3", true}, {"192.0.2.1", false}, {"::1", true}, {"::ffff:10.0.0.1", true}} {
		if got := g.Permitted(netip.MustParseAddr(tc.ip), t0); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.ip, got, tc.want)
		}
	}
}
