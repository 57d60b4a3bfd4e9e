package trunk

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/core"
	"github.com/hookswitch/hookswitch/pbx/dialplan"
	pbxsip "github.com/hookswitch/hookswitch/pbx/sip"
)

func parse(t *testing.T, msg string) *sip.Request {
	t.Helper()
	m, err := sip.ParseMessage([]byte(strings.ReplaceAll(msg, "\n", "\r\n") + "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	return m.(*sip.Request)
}

func invite(ruri, to, from, extra string) string {
	return "INVITE " + ruri + " SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\nMax-Forwards: 70\n" +
		"From: " + from + ";tag=a\nTo: " + to + "\nCall-ID: c1\nCSeq: 1 INVITE\n" + extra + "Content-Length: 0\n"
}

func TestCaller(t *testing.T) {
	for _, tc := range []struct {
		name, from, extra string
		want              core.Party
	}{
		{"from", `"Bob" <sip:0170999888@p.test>`, "", core.Party{Number: "0170999888", Name: "Bob"}},
		{"asserted wins", `"X" <sip:111@p.test>`, "P-Asserted-Identity: \"Bob Outside\" <sip:+49170999888@p.test>\n",
			core.Party{Number: "+49170999888", Name: "Bob Outside"}},
		{"privacy id", `"Bob" <sip:0170999888@p.test>`, "Privacy: id\n", core.Party{}},
		{"anonymous from", `"Anonymous" <sip:anonymous@anonymous.invalid>`, "", core.Party{}},
		{"tel junk and quotes", `"Bo\"b" <sip:0170-999.888@p.test>`, "", core.Party{Number: "0170999888", Name: "Bob"}},
	} {
		req := parse(t, invite("sip:4930123456@10.0.0.2", "<sip:4930123456@p.test>", tc.from, tc.extra))
		if got := Caller(req); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestRoute(t *testing.T) {
	did := map[string]string{"4930123456": "100", "4930123457": "101"}
	for _, tc := range []struct {
		ruri, to, fallback, want string
		ok                       bool
	}{
		{"sip:4930123456@pbx", "<sip:4930123456@p.test>", "", "100", true},
		{"sip:4930123456@pbx", "<sip:4930123457@p.test>", "", "100", true}, // Request-URI first
		{"sip:acct@pbx", "<sip:+4930123457@p.test>", "", "101", true},      // the DID in To, with a +
		{"sip:acct@pbx", "<sip:555@p.test>", "200", "200", true},
		{"sip:acct@pbx", "<sip:555@p.test>", "", "", false},
	} {
		req := parse(t, invite(tc.ruri, tc.to, "<sip:1@p.test>", ""))
		got, ok := Route(req, did, tc.fallback)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s / %s: %q %v, want %q %v", tc.ruri, tc.to, got, ok, tc.want, tc.ok)
		}
	}
}

func TestPresentation(t *testing.T) {
	from, hdrs := Presentation{Number: "4930123456", Name: `Alice "A"`}.fromHeaders("p.test")
	if from.DisplayName != "Alice A" || from.Address.User != "4930123456" || from.Address.Host != "p.test" || len(hdrs) != 1 ||
		hdrs[0].Value() != "<sip:4930123456@p.test>" {
		t.Errorf("presented: %s %v", from.Value(), hdrs)
	}
	from, hdrs = Presentation{Number: "4930123456", Name: "Alice", Withheld: true}.fromHeaders("p.test")
	if from.Address.User != "anonymous" || from.Address.Host != "anonymous.invalid" || len(hdrs) != 2 ||
		hdrs[0].Value() != "<sip:4930123456@p.test>" || hdrs[1].Name() != "Privacy" || hdrs[1].Value() != "id" {
		t.Errorf("withheld: %s %v", from.Value(), hdrs)
	}
}

// still is a frontend that only keeps time; the engine does not run.
type still struct{}

func (still) Receive() (time.Time, error) { return time.Time{}, nil }
func (still) Send()                       {}

type noMedia struct{}

func (noMedia) Offer() ([]byte, error)                      { return nil, nil }
func (noMedia) Answer([]byte) ([]byte, error)               { return nil, nil }
func (noMedia) Accept([]byte) error                         { return nil }
func (noMedia) ReadFrame(*hal.Frame)                        {}
func (noMedia) WriteFrame(*hal.Frame)                       {}
func (noMedia) SendDigit(byte)                              {}
func (noMedia) Digit() (byte, bool)                         { return 0, false }
func (noMedia) Close() error                                { return nil }
func newNoMedia() (pbxsip.Media, error)                     { return noMedia{}, nil }
func (noRouter) Route(dialplan.Entry) (core.Channel, error) { return nil, core.ErrNoRoute }

type noRouter struct{}

// TestGate: the trunk's socket answers only the provider's address, and a
// number that leads nowhere gets 404.
func TestGate(t *testing.T) {
	plan, _ := dialplan.New(nil)
	eng := core.New(slog.New(slog.DiscardHandler), still{}, plan, noRouter{})
	tr, err := Listen(slog.New(slog.DiscardHandler), Opts{Name: "p", Host: "127.0.0.1:5999", Listen: "127.0.0.1:0",
		DID: map[string]string{"1": "100"}, Engine: eng, Media: newNoMedia})
	if err != nil {
		t.Fatal(err)
	}
	tr.Serve()
	defer tr.Close(context.Background())
	for _, tc := range []struct {
		src, method, ruri string
		code              int
	}{
		{"127.0.0.2", "INVITE", "sip:1@x", 403}, // a stranger
		{"127.0.0.1", "INVITE", "sip:2@x", 404}, // the provider, a number we do not serve
		{"127.0.0.1", "OPTIONS", "sip:x", 200},  // the provider's keep-alive
		{"127.0.0.1", "MESSAGE", "sip:x", 405},
	} {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(tc.src)})
		if err != nil {
			t.Fatal(err)
		}
		msg := fmt.Sprintf("%s %s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-%s%d\r\nMax-Forwards: 70\r\n"+
			"From: <sip:p@x>;tag=1\r\nTo: <%s>\r\nCall-ID: gate-%s-%d\r\nCSeq: 1 %s\r\nContact: <sip:p@%s>\r\nContent-Length: 0\r\n\r\n",
			tc.method, tc.ruri, c.LocalAddr(), tc.method, tc.code, tc.ruri, tc.method, tc.code, tc.method, c.LocalAddr())
		if _, err := c.WriteTo([]byte(msg), tr.Addr()); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4096)
		code := 0
		_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
		for code == 0 || code == 100 {
			n, _, err := c.ReadFrom(buf)
			if err != nil {
				t.Fatalf("%s from %s: no answer", tc.method, tc.src)
			}
			res, err := sip.ParseMessage(buf[:n])
			if err != nil {
				t.Fatal(err)
			}
			code = res.(*sip.Response).StatusCode
		}
		if code != tc.code {
			t.Errorf("%s %s from %s: %d, want %d", tc.method, tc.ruri, tc.src, code, tc.code)
		}
		c.Close()
	}
}
