package sip

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// tortureDir holds the 49 messages of RFC 4475 (shared test data).
const tortureDir = "../../../shared/testdata/rfc4475"

// torture sends one RFC 4475 message and returns the status lines that
// came back within the wait. It goes by UDP from src and the port of its top
// Via, where the response is routed (RFC 3261 §18.2.2: the source address
// and the Via port), or by TCP when the Via says TCP and the message parses.
func torture(t *testing.T, s *Server, src string, data []byte, wait time.Duration) []string {
	t.Helper()
	transport, port := "UDP", "5060"
	for _, l := range strings.Split(string(data), "\r\n") {
		name, v, ok := strings.Cut(l, ":")
		if !ok || !(strings.EqualFold(strings.TrimSpace(name), "via") || strings.EqualFold(strings.TrimSpace(name), "v")) {
			continue
		}
		f := strings.Fields(strings.ReplaceAll(v, "/", " "))
		if len(f) >= 4 {
			transport = strings.ToUpper(f[2])
			hp, _, _ := strings.Cut(f[3], ";")
			if _, p, err := net.SplitHostPort(hp); err == nil {
				port = p
			}
		}
		break
	}
	var c net.Conn
	var err error
	if _, perr := sip.ParseMessage(data); perr == nil && (transport == "TCP" || transport == "TLS") {
		// A request that parses is answered on the transport its Via names.
		c, err = net.Dial("tcp", s.Addr().String())
	} else {
		laddr, _ := net.ResolveUDPAddr("udp", net.JoinHostPort(src, port))
		raddr, _ := net.ResolveUDPAddr("udp", s.Addr().String())
		c, err = net.DialUDP("udp", laddr, raddr)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(data); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 65535)
	var got []string
	for {
		n, err := c.Read(buf)
		if err != nil {
			return got
		}
		for _, msg := range strings.SplitAfter(string(buf[:n]), "\r\n\r\n") {
			if line, _, ok := strings.Cut(msg, "\r\n"); ok && strings.HasPrefix(line, "SIP/2.0 ") {
				got = append(got, line)
			}
		}
	}
}

// tortureWant is what RFC 4475 asks of an element for each message, as
// status codes we may answer; "" means no answer (the message is a response
// and there is no transaction for it). Valid requests are processed: here
// that means a challenge (401), 200 to OPTIONS, 405 to a method we do not
// serve, 481 to an INVITE whose To tag names a dialog we do not have
// (RFC 3261 §12.2.2). Registrations are authenticated before their Contact
// is read (RFC 3261 §10.3 steps 3 and 4), so a bad Contact gets 401 first.
var tortureWant = map[string][]string{
	// §3.1.1 valid messages
	"wsinv": {"481"}, "intmeth": {"405"}, "esc01": {"401"}, "escnull": {"401"}, "esc02": {"405"},
	"lwsdisp": {"200"}, "longreq": {"401"}, "dblreq": {"401"}, "semiuri": {"200"}, "transports": {"200"}, "mpart01": {"405"},
	"unreason": {""}, "noreason": {""},
	// §3.1.2 invalid messages
	"badinv01": {"400"}, "clerr": {"400"}, "ncl": {"400"}, "scalar02": {"400"}, "scalarlg": {""},
	"quotbal": {"400"}, "ltgtruri": {"400"}, "lwsruri": {"400"}, "lwsstart": {"400"}, "trws": {"400"},
	"escruri": {"400"}, "baddate": {"401", "400"}, "regbadct": {"401", "400"}, "badaspec": {"400"},
	"baddn": {"400"}, "badvers": {"505"}, "mismatch01": {"400"}, "mismatch02": {"400"}, "bigcode": {""},
	// §3.2 transaction layer
	"badbranch": {"200"},
	// §3.3 application layer
	"insuf": {"400"}, "unkscm": {"416"}, "novelsc": {"416"}, "unksm2": {"401"}, "bext01": {"420"},
	"invut": {"415"}, "regaut01": {"401"}, "multi01": {"400"}, "mcl01": {"400"}, "bcast": {""},
	"zeromf": {"200"}, "cparam01": {"401"}, "cparam02": {"401"}, "regescrt": {"401", "400"}, "sdp01": {"406"},
	"inv2543": {"401"}, // an RFC 2543 INVITE is challenged like any other
}

// TestTorture sends the 49 RFC 4475 messages to a running server, each to a
// fresh one (several reuse one branch and sent-by and would be taken for
// retransmissions, RFC 3261 §17.2.3), and checks the answers; the server
// must still answer OPTIONS after all of them.
func TestTorture(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(tortureDir, "*.dat"))
	if err != nil || len(files) != 49 {
		t.Fatalf("%d torture messages in %s, want 49 (%v)", len(files), tortureDir, err)
	}
	for i, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".dat")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want, ok := tortureWant[name]
			if !ok {
				t.Fatalf("no expectation for %s", name)
			}
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			s := newServer(t, Opts{})
			wait := time.Second
			if want[0] == "" {
				wait = 300 * time.Millisecond
			}
			got := torture(t, s, fmt.Sprintf("127.0.1.%d", i+1), data, wait)
			code := ""
			if len(got) > 0 {
				code = strings.Fields(got[0])[1]
			}
			if !slices.Contains(want, code) {
				t.Errorf("answered %q, want %q", got, want)
			}
			// Still alive and answering.
			p := newPhone(t, s, "127.0.0.1:0")
			local := p.c.LocalAddr().String()
			p.send("OPTIONS sip:" + p.srv + " SIP/2.0\r\nVia: SIP/2.0/UDP " + local + ";branch=z9hG4bK-alive\r\n" +
				"Max-Forwards: 70\r\nTo: <sip:" + p.srv + ">\r\nFrom: <sip:probe@" + local + ">;tag=1\r\n" +
				"Call-ID: alive\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
			if res := p.recv(3 * time.Second); res == nil || res.StatusCode != 200 {
				t.Errorf("server not answering OPTIONS afterwards: %v", res)
			}
		})
	}
}
