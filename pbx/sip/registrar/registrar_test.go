package registrar

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func register(t *testing.T, callID string, cseq int, extra ...string) *sip.Request {
	t.Helper()
	msg := "REGISTER sip:127.0.0.1 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 192.0.2.5:5062;branch=z9hG4bK" + fmt.Sprint(cseq) + "\r\n" +
		"From: <sip:200@127.0.0.1>;tag=a\r\nTo: <sip:200@127.0.0.1>\r\n" +
		"Call-ID: " + callID + "\r\n" + fmt.Sprintf("CSeq: %d REGISTER\r\n", cseq) +
		strings.Join(extra, "") + "Content-Length: 0\r\n\r\n"
	m, err := sip.ParseMessage([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	req := m.(*sip.Request)
	req.SetSource("198.51.100.9:40000")
	req.SetTransport("UDP")
	return req
}

func TestUpdate(t *testing.T) {
	type step struct {
		callID string
		cseq   int
		hdrs   []string
		at     time.Duration
		code   int
		n      int // bindings after
	}
	desk := "Contact: <sip:200@192.0.2.5:5062>\r\n"
	soft := "Contact: <sip:200@192.0.2.6:5064;transport=tcp>\r\n"
	tests := []struct {
		name  string
		steps []step
	}{
		{"register default expiry", []step{{"a", 1, []string{desk}, 0, 200, 1}}},
		{"fetch bindings only", []step{{"a", 1, []string{desk}, 0, 200, 1}, {"b", 1, nil, 0, 200, 1}}},
		{"two devices", []step{{"a", 1, []string{desk}, 0, 200, 1}, {"b", 1, []string{soft}, 0, 200, 2}}},
		{"two contacts in one request", []step{{"a", 1, []string{desk, soft}, 0, 200, 2}}},
		{"refresh keeps one binding", []step{{"a", 1, []string{desk}, 0, 200, 1}, {"a", 2, []string{desk}, 0, 200, 1}}},
		{"unregister by expires 0", []step{{"a", 1, []string{desk, soft}, 0, 200, 2},
			{"a", 2, []string{"Contact: <sip:200@192.0.2.5:5062>;expires=0\r\n"}, 0, 200, 1}}},
		{"unregister all", []step{{"a", 1, []string{desk, soft}, 0, 200, 2},
			{"a", 2, []string{"Contact: *\r\n", "Expires: 0\r\n"}, 0, 200, 0}}},
		{"wildcard needs expires 0", []step{{"a", 1, []string{"Contact: *\r\n"}, 0, 400, 0}}},
		{"too brief", []step{{"a", 1, []string{desk, "Expires: 10\r\n"}, 0, 423, 0}}},
		{"out of order", []step{{"a", 5, []string{desk}, 0, 200, 1}, {"a", 4, []string{desk}, 0, 500, 1}}},
		{"expiry", []step{{"a", 1, []string{desk, "Expires: 60\r\n"}, 0, 200, 1}, {"b", 1, nil, 61 * time.Second, 200, 0}}},
		{"bad expires", []step{{"a", 1, []string{desk, "Expires: soon\r\n"}, 0, 400, 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := New(Opts{})
			for i, s := range tc.steps {
				res := r.Update("200", register(t, s.callID, s.cseq, s.hdrs...), t0.Add(s.at))
				if res.Code != s.code {
					t.Fatalf("step %d: %d %s, want %d", i, res.Code, res.Reason, s.code)
				}
				if n := len(r.Contacts("200", t0.Add(s.at))); n != s.n {
					t.Fatalf("step %d: %d bindings, want %d", i, n, s.n)
				}
				if res.Code == 423 && res.MinExpires != 60 {
					t.Errorf("Min-Expires %d", res.MinExpires)
				}
			}
		})
	}
}

func TestBindingDetails(t *testing.T) {
	r := New(Opts{Max: 600 * time.Second})
	res := r.Update("200", register(t, "a", 1, "Contact: <sip:200@192.0.2.5:5062>;expires=7200\r\n", "User-Agent: desk/1\r\n"), t0)
	if res.Code != 200 || len(res.Bindings) != 1 {
		t.Fatalf("%+v", res)
	}
	b := res.Bindings[0]
	if b.Expires != t0.Add(600*time.Second) {
		t.Errorf("expires %v: not capped to Max", b.Expires.Sub(t0))
	}
	if b.Source != "198.51.100.9:40000" || b.Transport != "udp" || b.UserAgent != "desk/1" {
		t.Errorf("binding %+v", b)
	}
	r.Qualified("200", &b.Contact, false, 0, t0)
	if r.Contacts("200", t0)[0].Reachable {
		t.Error("qualify result not kept")
	}
}

func TestMaxContacts(t *testing.T) {
	r := New(Opts{MaxContacts: 2})
	for i := 0; i < 3; i++ {
		res := r.Update("200", register(t, fmt.Sprint(i), 1, fmt.Sprintf("Contact: <sip:200@192.0.2.%d>\r\n", i+1)), t0)
		if want := map[bool]int{true: 200, false: 403}[i < 2]; res.Code != want {
			t.Errorf("contact %d: %d, want %d", i, res.Code, want)
		}
	}
}

func TestDestination(t *testing.T) {
	for _, tc := range []struct {
		contact, source, transport, want string
	}{
		{"sip:200@192.0.2.5:5062", "192.0.2.5:40000", "udp", "192.0.2.5:5062"},       // same host: the contact
		{"sip:200@10.0.0.5:5062", "198.51.100.9:40000", "udp", "198.51.100.9:40000"}, // NAT: the source
		{"sip:200@192.0.2.5", "192.0.2.5:40000", "udp", "192.0.2.5:40000"},           // no port: the source
		{"sip:200@192.0.2.5:5062", "192.0.2.5:40000", "tcp", "192.0.2.5:40000"},      // the connection
	} {
		var u sip.Uri
		if err := sip.ParseUri(tc.contact, &u); err != nil {
			t.Fatal(err)
		}
		b := Binding{Contact: u, Source: tc.source, Transport: tc.transport}
		if got := b.Destination(); got != tc.want {
			t.Errorf("%s from %s/%s: %s, want %s", tc.contact, tc.source, tc.transport, got, tc.want)
		}
	}
}
