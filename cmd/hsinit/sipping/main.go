// Command sipping sends SIP OPTIONS over UDP until one is answered 200 OK,
// then prints the seconds it waited. The image boot test uses it to time
// boot-to-SIP-answer against the QEMU guest:
//
//	sipping -addr 127.0.0.1:15060 -timeout 60s
package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:5060", "SIP UDP address to ping")
	timeout := flag.Duration("timeout", 60*time.Second, "give up after this long")
	interval := flag.Duration("interval", 250*time.Millisecond, "resend interval")
	freePort := flag.Bool("free-port", false, "print a free local UDP port and exit (for QEMU's hostfwd)")
	flag.Parse()
	if *freePort {
		port, err := pickFreePort()
		if err != nil {
			fmt.Fprintln(os.Stderr, "sipping:", err)
			os.Exit(1)
		}
		fmt.Println(port)
		return
	}
	start := time.Now()
	status, err := ping(*addr, start.Add(*timeout), *interval)
	if err != nil {
		fmt.Fprintf(os.Stderr, "sipping: %s: %v\n", *addr, err)
		os.Exit(1)
	}
	fmt.Printf("sipping: %s answered %q after %.2f s\n", *addr, status, time.Since(start).Seconds())
}

var errTimeout = errors.New("no 200 answer before the deadline")

// ping resends OPTIONS every interval (each a new transaction) until a
// response with the same Call-ID and status 200 arrives.
func ping(addr string, deadline time.Time, interval time.Duration) (string, error) {
	conn, err := net.Dial("udp", addr)
	if err != nil {
		return "", fmt.Errorf("dial: %w", err)
	}
	defer conn.Close()
	callID := token() + "@sipping"
	buf := make([]byte, 65535)
	for seq := 1; time.Now().Before(deadline); seq++ {
		if _, err := conn.Write([]byte(options(addr, conn.LocalAddr().String(), callID, seq))); err != nil {
			// ICMP port unreachable while the guest boots: wait and resend.
			time.Sleep(interval)
			continue
		}
		_ = conn.SetReadDeadline(time.Now().Add(interval))
		n, err := conn.Read(buf)
		if err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				time.Sleep(interval) // connection refused: nothing listens yet
			}
			continue
		}
		status, ok := parseResponse(string(buf[:n]), callID)
		if ok && strings.HasPrefix(status, "200") {
			return status, nil
		}
	}
	return "", errTimeout
}

// options builds an OPTIONS request (RFC 3261 §11.1) with the mandatory
// headers of §8.1.1; the branch starts with the magic cookie z9hG4bK
// (§8.1.1.7) and rport asks for the reply at the source port (RFC 3581),
// which is what a NAT such as QEMU's user network needs.
func options(target, local, callID string, seq int) string {
	uri := "sip:" + target
	return "OPTIONS " + uri + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bK" + token() + ";rport\r\n" +
		"Max-Forwards: 70\r\n" +
		"To: <" + uri + ">\r\n" +
		"From: <sip:sipping@" + local + ">;tag=" + token() + "\r\n" +
		"Call-ID: " + callID + "\r\n" +
		fmt.Sprintf("CSeq: %d OPTIONS\r\n", seq) +
		"Accept: application/sdp\r\n" +
		"Content-Length: 0\r\n\r\n"
}

// parseResponse returns the status of a response to our Call-ID.
func parseResponse(msg, callID string) (string, bool) {
	lines := strings.Split(msg, "\r\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "SIP/2.0 ") {
		return "", false
	}
	for _, l := range lines[1:] {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		// "i" is the compact form of Call-ID (RFC 3261 §7.3.3).
		if n := strings.ToLower(strings.TrimSpace(name)); (n == "call-id" || n == "i") && strings.TrimSpace(value) == callID {
			return strings.TrimPrefix(lines[0], "SIP/2.0 "), true
		}
	}
	return "", false
}

// pickFreePort asks the kernel for an unused UDP port on loopback. The port
// is released before QEMU binds it; a clash makes QEMU fail loudly, not hang.
func pickFreePort() (int, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port, nil
}

func token() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
