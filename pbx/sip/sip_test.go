package sip

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"
)

func TestOptions(t *testing.T) {
	s, err := Listen(slog.New(slog.DiscardHandler), "127.0.0.1:0", "hookswitch-test")
	if err != nil {
		t.Fatal(err)
	}
	s.Serve()
	defer s.Close(context.Background())

	c, err := net.Dial("udp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	local := c.LocalAddr().String()
	msg := "OPTIONS sip:" + s.Addr().String() + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bK-test1\r\n" +
		"Max-Forwards: 70\r\nTo: <sip:" + s.Addr().String() + ">\r\n" +
		"From: <sip:probe@" + local + ">;tag=1\r\nCall-ID: test-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 2048)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(buf[:n]); !strings.HasPrefix(got, "SIP/2.0 200 OK") || !strings.Contains(got, "Allow:") {
		t.Errorf("reply:\n%s", got)
	}
}
