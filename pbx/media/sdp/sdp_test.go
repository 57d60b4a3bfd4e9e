package sdp

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookswitch/hookswitch/pbx/media/g711"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "media", "sdp", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var us = Local{Addr: netip.MustParseAddr("192.0.2.1"), Port: 40000, SessionID: 77, Version: 1}

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func TestOffer(t *testing.T) {
	tests := []struct {
		name  string
		local Local
		want  []string // lines that must be present, in this order
		not   []string
	}{
		{
			name:  "default",
			local: us,
			want: []string{"v=0", "o=hookswitch 77 1 IN IP4 192.0.2.1", "c=IN IP4 192.0.2.1",
				"m=audio 40000 RTP/AVP 0 8 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
				"a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=ptime:20", "a=sendrecv"},
			not: []string{"rtcp-mux"},
		},
		{
			name:  "hold, PCMA preferred, mux, other event PT",
			local: Local{Addr: us.Addr, Port: 40002, Codecs: []g711.Law{g711.PCMA, g711.PCMU}, EventPT: 96, Direction: SendOnly, RTCPMux: true},
			want:  []string{"m=audio 40002 RTP/AVP 8 0 96", "a=fmtp:96 0-16", "a=rtcp-mux", "a=sendonly"},
		},
		{
			name:  "no events, inactive, IPv6",
			local: Local{Addr: netip.MustParseAddr("2001:db8::1"), Port: 5000, NoEvents: true, Direction: Inactive},
			want:  []string{"c=IN IP6 2001:db8::1", "m=audio 5000 RTP/AVP 0 8", "a=inactive"},
			not:   []string{"telephone-event"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Offer(tc.local)
			if err != nil {
				t.Fatal(err)
			}
			s := string(b)
			if !strings.Contains(s, "\r\n") || strings.Contains(strings.ReplaceAll(s, "\r\n", ""), "\n") {
				t.Error("lines not CRLF-terminated")
			}
			at := 0
			for _, line := range tc.want {
				i := strings.Index(s[at:], line+"\r\n")
				if i < 0 {
					t.Fatalf("missing or out of order %q in\n%s", line, s)
				}
				at += i
			}
			for _, x := range tc.not {
				if strings.Contains(s, x) {
					t.Errorf("unexpected %q", x)
				}
			}
		})
	}
}

func TestOfferRejectsBadLocal(t *testing.T) {
	for _, l := range []Local{
		{Port: 4000},
		{Addr: us.Addr},
		{Addr: us.Addr, Port: 4000, EventPT: 18},
		{Addr: us.Addr, Port: 4000, Codecs: []g711.Law{0}},
	} {
		if _, err := Offer(l); !errors.Is(err, ErrBadLocal) {
			t.Errorf("%+v: %v", l, err)
		}
	}
}

func TestAnswer(t *testing.T) {
	tests := []struct {
		file  string
		local Local
		want  Negotiated
		lines []string // in our answer
		err   error
	}{
		{
			file: "softphone-g722-first.sdp", local: us,
			want: Negotiated{Codec: g711.PCMU, SendPT: 0, RecvPT: 0, Events: true, SendEventPT: 101, RecvEventPT: 101,
				Remote: ap("192.168.1.50:10000"), RemoteRTCP: ap("192.168.1.50:10001"), Direction: SendRecv, RemotePtime: 20},
			lines: []string{"m=audio 40000 RTP/AVP 0 101", "a=fmtp:101 0-15", "a=sendrecv"},
		},
		{
			file: "pcma-first-dynamic-event.sdp", local: us,
			want: Negotiated{Codec: g711.PCMA, SendPT: 8, RecvPT: 8, Events: true, SendEventPT: 96, RecvEventPT: 96,
				Remote: ap("10.0.0.7:4002"), RemoteRTCP: ap("10.0.0.7:4003"), Direction: SendRecv, RemotePtime: 30},
			lines: []string{"m=audio 40000 RTP/AVP 8 96", "a=rtpmap:96 telephone-event/8000", "a=fmtp:96 0-16"},
		},
		{
			file: "pcma-first-dynamic-event.sdp", local: Local{Addr: us.Addr, Port: 40000, Codecs: []g711.Law{g711.PCMU}},
			want: Negotiated{Codec: g711.PCMU, SendPT: 0, RecvPT: 0, Events: true, SendEventPT: 96, RecvEventPT: 96,
				Remote: ap("10.0.0.7:4002"), RemoteRTCP: ap("10.0.0.7:4003"), Direction: SendRecv, RemotePtime: 30},
			lines: []string{"m=audio 40000 RTP/AVP 0 96"},
		},
		{
			file: "hold-sendonly.sdp", local: us,
			want: Negotiated{Codec: g711.PCMU, Events: true, SendEventPT: 101, RecvEventPT: 101,
				Remote: ap("192.168.1.50:10000"), RemoteRTCP: ap("192.168.1.50:10001"), Direction: RecvOnly},
			lines: []string{"a=recvonly"},
		},
		{
			file: "hold-zero-address.sdp", local: us,
			want:  Negotiated{Codec: g711.PCMU, Remote: ap("0.0.0.0:10000"), RemoteRTCP: ap("0.0.0.0:10001"), Direction: RecvOnly},
			lines: []string{"m=audio 40000 RTP/AVP 0", "a=recvonly"},
		},
		{
			file: "hold-sendonly.sdp", local: Local{Addr: us.Addr, Port: 40000, Direction: SendOnly},
			want: Negotiated{Codec: g711.PCMU, Events: true, SendEventPT: 101, RecvEventPT: 101,
				Remote: ap("192.168.1.50:10000"), RemoteRTCP: ap("192.168.1.50:10001"), Direction: Inactive},
			lines: []string{"a=inactive"},
		},
		{
			file: "video-then-audio-mux.sdp", local: Local{Addr: us.Addr, Port: 40000, RTCPMux: true},
			want: Negotiated{Codec: g711.PCMU, Remote: ap("192.0.2.21:30002"), RemoteRTCP: ap("192.0.2.21:30002"),
				RTCPMux: true, Direction: SendOnly},
			lines: []string{"m=video 0 RTP/AVP 97", "m=audio 40000 RTP/AVP 0", "a=rtcp-mux", "a=sendonly"},
		},
		{
			file: "video-then-audio-mux.sdp", local: us, // we do not mux: RTCP goes to a=rtcp
			want: Negotiated{Codec: g711.PCMU, Remote: ap("192.0.2.21:30002"), RemoteRTCP: ap("192.0.2.21:30002"), Direction: SendOnly},
		},
		{
			file: "ipv6-rtcp-attr.sdp", local: us,
			want:  Negotiated{Codec: g711.PCMU, Remote: ap("[2001:db8::5]:5004"), RemoteRTCP: ap("[2001:db8::6]:5010"), Direction: Inactive},
			lines: []string{"a=inactive"},
		},
		{
			file: "dynamic-pcmu-no-fmtp.sdp", local: us,
			want: Negotiated{Codec: g711.PCMU, SendPT: 97, RecvPT: 97, Events: true, SendEventPT: 100, RecvEventPT: 100,
				Remote: ap("192.0.2.30:6000"), RemoteRTCP: ap("192.0.2.30:6001"), Direction: SendRecv},
			lines: []string{"m=audio 40000 RTP/AVP 97 100", "a=rtpmap:97 PCMU/8000", "a=fmtp:100 0-15"},
		},
		{
			file: "event-fmtp-extra.sdp", local: us,
			want: Negotiated{Codec: g711.PCMU, Events: true, SendEventPT: 101, RecvEventPT: 101,
				Remote: ap("192.0.2.31:6002"), RemoteRTCP: ap("192.0.2.31:6003"), Direction: SendRecv},
			lines: []string{"m=audio 40000 RTP/AVPF 0 101", "a=fmtp:101 0-15"},
		},
		{
			file: "softphone-g722-first.sdp", local: Local{Addr: us.Addr, Port: 40000, NoEvents: true},
			want: Negotiated{Codec: g711.PCMU, Remote: ap("192.168.1.50:10000"), RemoteRTCP: ap("192.168.1.50:10001"),
				Direction: SendRecv, RemotePtime: 20},
			lines: []string{"m=audio 40000 RTP/AVP 0"},
		},
		{file: "g729-only.sdp", local: us, err: ErrNoCommonCodec},
		{file: "srtp-only.sdp", local: us, err: ErrNoAudio},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			ans, neg, err := Answer(tc.local, fixture(t, tc.file))
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !errors.Is(err, ErrNotAcceptable) {
					t.Fatalf("err %v, want %v (and ErrNotAcceptable)", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if neg != tc.want {
				t.Errorf("negotiated\n %+v\nwant\n %+v", neg, tc.want)
			}
			for _, line := range tc.lines {
				if !strings.Contains(string(ans), line+"\r\n") {
					t.Errorf("answer lacks %q:\n%s", line, ans)
				}
			}
			// Our answer is itself valid SDP describing us.
			r, err := Parse(ans)
			if err != nil || r.Addr != netip.AddrPortFrom(tc.local.Addr, uint16(tc.local.Port)) {
				t.Errorf("answer parses to %+v, %v", r, err)
			}
		})
	}
}

func TestAnswerMalformed(t *testing.T) {
	for _, s := range []string{
		"",
		"v=0\r\nthis is not sdp\r\n",
		"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", // no c=
		"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 pbx.example.com\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
	} {
		if _, _, err := Answer(us, []byte(s)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v", s, err)
		}
	}
}

func TestParseAnswer(t *testing.T) {
	offerer := Local{Addr: us.Addr, Port: 40000, RTCPMux: true}
	tests := []struct {
		name   string
		answer string
		want   Negotiated
		err    error
	}{
		{
			name: "PCMA with a different event PT, muxed, recvonly",
			answer: "v=0\r\no=- 1 1 IN IP4 198.51.100.4\r\ns=-\r\nc=IN IP4 198.51.100.4\r\nt=0 0\r\n" +
				"m=audio 7000 RTP/AVP 8 96\r\na=rtpmap:96 telephone-event/8000\r\na=rtcp-mux\r\na=recvonly\r\n",
			want: Negotiated{Codec: g711.PCMA, SendPT: 8, RecvPT: 8, Events: true, SendEventPT: 96, RecvEventPT: 101,
				Remote: ap("198.51.100.4:7000"), RemoteRTCP: ap("198.51.100.4:7000"), RTCPMux: true, Direction: SendOnly},
		},
		{
			name:   "rejected stream",
			answer: "v=0\r\no=- 1 1 IN IP4 198.51.100.4\r\ns=-\r\nc=IN IP4 198.51.100.4\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n",
			err:    ErrRejected,
		},
		{
			name:   "answer with a codec we did not offer",
			answer: "v=0\r\no=- 1 1 IN IP4 198.51.100.4\r\ns=-\r\nc=IN IP4 198.51.100.4\r\nt=0 0\r\nm=audio 7000 RTP/AVP 18\r\n",
			err:    ErrNoCommonCodec,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			neg, err := ParseAnswer(offerer, []byte(tc.answer))
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if err == nil && neg != tc.want {
				t.Errorf("negotiated\n %+v\nwant\n %+v", neg, tc.want)
			}
		})
	}
}

// Both ends of an offer/answer made by this package agree with each other.
func TestOfferAnswerRoundTrip(t *testing.T) {
	for _, dirs := range [][2]Direction{{SendRecv, SendRecv}, {SendOnly, SendRecv}, {SendRecv, Inactive}, {RecvOnly, SendRecv}} {
		a := Local{Addr: netip.MustParseAddr("10.1.1.1"), Port: 4000, Direction: dirs[0], Codecs: []g711.Law{g711.PCMA, g711.PCMU}, RTCPMux: true}
		b := Local{Addr: netip.MustParseAddr("10.1.1.2"), Port: 5000, Direction: dirs[1], EventPT: 97}
		offer, err := Offer(a)
		if err != nil {
			t.Fatal(err)
		}
		ans, nb, err := Answer(b, offer)
		if err != nil {
			t.Fatal(err)
		}
		na, err := ParseAnswer(a, ans)
		if err != nil {
			t.Fatal(err)
		}
		if na.Codec != nb.Codec || na.Codec != g711.PCMA {
			t.Errorf("codecs %v / %v", na.Codec, nb.Codec)
		}
		if na.SendEventPT != nb.RecvEventPT || nb.SendEventPT != na.RecvEventPT {
			t.Errorf("event PTs cross: a sends %d b expects %d; b sends %d a expects %d",
				na.SendEventPT, nb.RecvEventPT, nb.SendEventPT, na.RecvEventPT)
		}
		if na.Direction.Sends() != nb.Direction.Receives() || nb.Direction.Sends() != na.Direction.Receives() {
			t.Errorf("%v/%v: directions %v and %v disagree", dirs[0], dirs[1], na.Direction, nb.Direction)
		}
		if na.Remote != ap("10.1.1.2:5000") || nb.Remote != ap("10.1.1.1:4000") || na.RTCPMux || nb.RTCPMux {
			t.Errorf("addresses %v %v mux %v %v", na.Remote, nb.Remote, na.RTCPMux, nb.RTCPMux)
		}
	}
}

func TestDirections(t *testing.T) {
	tests := []struct{ d, rev Direction }{
		{SendRecv, SendRecv}, {SendOnly, RecvOnly}, {RecvOnly, SendOnly}, {Inactive, Inactive},
	}
	for _, tc := range tests {
		if tc.d.Reverse() != tc.rev {
			t.Errorf("%v reversed = %v", tc.d, tc.d.Reverse())
		}
	}
	if SendOnly.And(RecvOnly) != Inactive || SendRecv.And(SendOnly) != SendOnly || Direction(0).And(RecvOnly) != RecvOnly {
		t.Error("And")
	}
}

func TestEventMasks(t *testing.T) {
	for _, tc := range []struct{ in, out string }{
		{"0-16", "0-16"}, {"0-15,66,70", "0-15"}, {"", "0-15"}, {"16", "16"}, {"0-3, 5,7-9", "0-3,5,7-9"}, {"x,3-1,2", "2"},
	} {
		if got := maskString(eventMask(tc.in) & dtmfMask); got != tc.out {
			t.Errorf("%q -> %q, want %q", tc.in, got, tc.out)
		}
	}
	if got := maskString(eventMask("0-15,66,70")); got != "0-15" {
		t.Errorf("events above 63 must be ignored, got %q", got)
	}
}

func FuzzAnswer(f *testing.F) {
	entries, _ := os.ReadDir(filepath.Join("..", "..", "..", "testdata", "media", "sdp"))
	for _, e := range entries {
		f.Add(fixture(f, e.Name()))
	}
	f.Fuzz(func(t *testing.T, offer []byte) {
		ans, neg, err := Answer(us, offer)
		if err != nil {
			return
		}
		if !neg.Codec.Valid() || len(ans) == 0 {
			t.Fatalf("accepted with %+v", neg)
		}
		if _, err := Parse(ans); err != nil {
			t.Fatalf("our answer does not parse: %v\n%s", err, ans)
		}
	})
}
