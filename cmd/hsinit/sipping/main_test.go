package main

import (
	"net"
	"strings"
	"testing"
	"time"
)

// fakeServer answers every OPTIONS after `ignore` requests with code.
func fakeServer(t *testing.T, ignore int, code string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 65535)
		for n := 0; ; n++ {
			k, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < ignore {
				continue
			}
			var callID string
			for _, l := range strings.Split(string(buf[:k]), "\r\n") {
				if v, ok := strings.CutPrefix(l, "Call-ID: "); ok {
					callID = v
				}
			}
			_, _ = pc.WriteTo([]byte("SIP/2.0 "+code+"\r\ni: "+callID+"\r\nContent-Length: 0\r\n\r\n"), from)
		}
	}()
	return pc.LocalAddr().String()
}

func TestPing(t *testing.T) {
	tests := []struct {
		name   string
		ignore int
		code   string
		ok     bool
	}{
		{"answers at once", 0, "200 OK", true},
		{"answers the third try", 2, "200 OK", true},
		{"answers 503 only", 0, "503 Service Unavailable", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := fakeServer(t, tt.ignore, tt.code)
			status, err := ping(addr, time.Now().Add(2*time.Second), 50*time.Millisecond)
			if (err == nil) != tt.ok || (tt.ok && status != tt.code) {
				t.Fatalf("ping = %q, %v", status, err)
			}
		})
	}
}

func TestParseResponse(t *testing.T) {
	tests := []struct {
		msg, callID, want string
		ok                bool
	}{
		{"SIP/2.0 200 OK\r\nCall-ID: abc\r\n\r\n", "abc", "200 OK", true},
		{"SIP/2.0 200 OK\r\ncall-id:  abc \r\n\r\n", "abc", "200 OK", true},
		{"SIP/2.0 200 OK\r\nCall-ID: other\r\n\r\n", "abc", "", false},
		{"OPTIONS sip:x SIP/2.0\r\nCall-ID: abc\r\n\r\n", "abc", "", false},
	}
	for _, tt := range tests {
		got, ok := parseResponse(tt.msg, tt.callID)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseResponse(%q) = %q, %v", tt.msg, got, ok)
		}
	}
	req := options("127.0.0.1:5060", "127.0.0.1:40000", "c@x", 7)
	for _, h := range []string{"OPTIONS sip:127.0.0.1:5060 SIP/2.0\r\n", ";branch=z9hG4bK", "CSeq: 7 OPTIONS\r\n", "Max-Forwards: 70\r\n", "\r\n\r\n"} {
		if !strings.Contains(req, h) {
			t.Errorf("request lacks %q:\n%s", h, req)
		}
	}
}
