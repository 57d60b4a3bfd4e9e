package media

import (
	"errors"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/media/g711"
	"github.com/hookswitch/hookswitch/pbx/media/jitter"
	"github.com/hookswitch/hookswitch/pbx/media/mediatest"
	"github.com/hookswitch/hookswitch/pbx/media/rtpevent"
	"github.com/hookswitch/hookswitch/pbx/media/sdp"
)

var (
	addrA = netip.MustParseAddrPort("10.0.0.1:4000")
	addrB = netip.MustParseAddrPort("10.0.0.2:5000")
)

func TestNewValidates(t *testing.T) {
	c := mediatest.NewConn(addrA)
	m := negotiated(g711.PCMU, addrB, false)
	for _, tc := range []struct {
		cfg  Config
		want error
	}{
		{Config{Media: m, Now: time.Now}, ErrNoConn},
		{Config{Conn: c, Media: m}, ErrNoClock},
		{Config{Conn: c, Media: sdp.Negotiated{}, Now: time.Now}, ErrCodec},
	} {
		if _, err := New(tc.cfg); !errors.Is(err, tc.want) {
			t.Errorf("%v, want %v", err, tc.want)
		}
	}
}

// A 1 kHz tone crosses real UDP sockets on 127.0.0.1 both ways and comes out
// at the same frequency and level.
func TestToneOverUDPLoopback(t *testing.T) {
	for _, law := range []g711.Law{g711.PCMU, g711.PCMA} {
		t.Run(law.String(), func(t *testing.T) {
			ca, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			cb, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			clock := mediatest.NewClock(t0)
			pa, pb := ca.LocalAddr().(*net.UDPAddr).AddrPort(), cb.LocalAddr().(*net.UDPAddr).AddrPort()
			a, err := New(Config{Conn: ca, Media: negotiated(law, pb, true), SSRC: 1, Now: clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			b, err := New(Config{Conn: cb, Media: negotiated(law, pa, true), SSRC: 2, Seq: 60000, Timestamp: 1 << 31, Now: clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			a.Start()
			b.Start()
			defer a.Close()
			defer b.Close()

			const frames = 100
			var heardA, heardB []int16
			for k := range frames {
				in := tone(k, 1000, 8000)
				if err := a.WriteFrame(&in); err != nil {
					t.Fatal(err)
				}
				back := tone(k, 1000, 4000)
				if err := b.WriteFrame(&back); err != nil {
					t.Fatal(err)
				}
				// Wait for both packets (a sync point, not a timing assertion).
				waitFor(t, func() bool {
					return b.Stats().PacketsReceived >= uint64(k+1) && a.Stats().PacketsReceived >= uint64(k+1)
				})
				clock.Advance(hal.FrameDuration)
				var f hal.Frame
				b.ReadFrame(&f)
				heardB = append(heardB, f[:]...)
				a.ReadFrame(&f)
				heardA = append(heardA, f[:]...)
			}
			for _, tc := range []struct {
				name  string
				heard []int16
				amp   float64
			}{{"a→b", heardB, 8000}, {"b→a", heardA, 4000}} {
				x := tc.heard[len(tc.heard)/2:] // well past the initial delay
				if hz := zeroCrossingHz(x); hz < 995 || hz > 1005 {
					t.Errorf("%s: %.1f Hz", tc.name, hz)
				}
				if p := goertzel(x, 1000); p < 0.99 {
					t.Errorf("%s: only %.3f of the power at 1 kHz", tc.name, p)
				}
				if lvl, want := rms(x), tc.amp/1.41421356; lvl < want*0.98 || lvl > want*1.02 {
					t.Errorf("%s: level %.0f, want %.0f ±2 %%", tc.name, lvl, want)
				}
			}
			if st := b.Stats(); st.Lost != 0 || st.Concealed != 0 || st.Late != 0 || st.Codec != law.String() {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("gave up waiting (a failsafe, not a timing test)")
		}
		runtime.Gosched()
		time.Sleep(50 * time.Microsecond)
	}
}

// Loss, reordering, duplication and jitter injected on an in-memory link.
func TestImpairedLink(t *testing.T) {
	tests := []struct {
		name             string
		imp              impairment
		lost, late, dups uint64
		concealedAtLeast uint64
	}{
		{name: "clean"},
		{
			name: "every 10th packet lost",
			imp:  impairment{drop: func(i int) bool { return i%10 == 5 }},
			lost: 25, concealedAtLeast: 25,
		},
		{
			name: "neighbours swapped",
			imp:  impairment{delay: func(i int) time.Duration { return time.Duration(1+25*(1-i%2)) * time.Millisecond }},
		},
		{
			name: "every 7th duplicated",
			imp:  impairment{dup: func(i int) bool { return i%7 == 0 }},
			dups: 36,
		},
		{
			name: "one 300 ms stall",
			imp: impairment{delay: func(i int) time.Duration {
				if i >= 100 && i < 115 {
					return time.Duration(300-(i-100)*20) * time.Millisecond
				}
				return time.Millisecond
			}},
			// Packets 100-114 all arrive at 2.3 s: those due before then
			// (100-112) are late.
			late: 13, concealedAtLeast: 3,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := newVnet(t)
			a := newNode(t, v.clock, addrA, negotiated(g711.PCMA, addrB, false), 11, nil)
			b := newNode(t, v.clock, addrB, negotiated(g711.PCMA, addrA, false), 22, nil)
			v.link(a, b, tc.imp)
			v.link(b, a, impairment{})
			var heard []int16
			for k := range 250 {
				in := tone(k, 1000, 10000)
				var out hal.Frame
				v.tick(func() { _ = a.s.WriteFrame(&in) }, func() { b.s.ReadFrame(&out) })
				heard = append(heard, out[:]...)
			}
			st := b.s.Stats()
			if uint64(max(st.Lost, 0)) != tc.lost || st.Late != tc.late || st.Concealed < tc.concealedAtLeast {
				t.Errorf("lost %d late %d concealed %d, want %d %d ≥%d", st.Lost, st.Late, st.Concealed, tc.lost, tc.late, tc.concealedAtLeast)
			}
			if tc.dups > 0 && st.Discarded != tc.dups {
				t.Errorf("discarded %d, want the %d duplicates", st.Discarded, tc.dups)
			}
			if hz := zeroCrossingHz(heard[len(heard)/2:]); hz < 990 || hz > 1010 {
				t.Errorf("tone came out at %.1f Hz", hz)
			}
			if st.MOS < 1 || st.MOS > 4.42 || (tc.lost == 0 && tc.late == 0 && st.MOS < 4.3) {
				t.Errorf("MOS %.2f (R %.1f)", st.MOS, st.R)
			}
			t.Logf("%s: %+v", tc.name, st)
		})
	}
}

// A digit sent as RFC 4733 events arrives exactly once, with its duration,
// even when every packet is duplicated, and audio pauses around it.
func TestDigitSendReceive(t *testing.T) {
	v := newVnet(t)
	a := newNode(t, v.clock, addrA, negotiated(g711.PCMU, addrB, false), 11, nil)
	b := newNode(t, v.clock, addrB, negotiated(g711.PCMU, addrA, false), 22, nil)
	v.link(a, b, impairment{dup: func(int) bool { return true }})
	v.link(b, a, impairment{})

	var wire []rtp.Packet
	capture := func() {
		for _, l := range v.links[:1] {
			for _, d := range l.from.rtp.Sent() {
				var p rtp.Packet
				if err := p.Unmarshal(d.Data); err != nil {
					t.Fatal(err)
				}
				wire = append(wire, p)
				v.route(l, l.from.rtp, d)
			}
		}
	}
	silence := hal.Frame{}
	step := func(k int) {
		_ = a.s.WriteFrame(&silence)
		capture()
		v.advance(10 * time.Millisecond)
		var f hal.Frame
		b.s.ReadFrame(&f)
		v.advance(10 * time.Millisecond)
	}
	for k := range 5 {
		step(k)
	}
	if err := a.s.SendDigit(5, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	for k := range 15 {
		step(k)
	}

	var got []rtpevent.Report
	for len(b.s.Digits()) > 0 {
		got = append(got, <-b.s.Digits())
	}
	if len(got) != 2 || got[0].Kind != rtpevent.Begin || got[1].Kind != rtpevent.End ||
		got[0].Event != 5 || got[1].Duration != 800 || got[1].Estimated {
		t.Fatalf("reports %+v", got)
	}
	if st := b.s.Stats(); st.DigitsReceived != 1 {
		t.Errorf("digits received %d", st.DigitsReceived)
	}

	// The wire: 5 audio, then events (marker first, same timestamp, 3 ends),
	// then audio again with a marker and the timestamp moved on by the pause.
	var evs []rtp.Packet
	firstEv := -1
	for i, p := range wire {
		if p.PayloadType == 101 {
			if firstEv < 0 {
				firstEv = i
			}
			evs = append(evs, p)
		}
		if i > 0 && p.SequenceNumber != wire[i-1].SequenceNumber+1 {
			t.Errorf("sequence gap at packet %d", i)
		}
	}
	// 100 ms: start (160), update (480), end (800) and its two repeats.
	if firstEv != 5 || !evs[0].Marker || len(evs) != 5 {
		t.Fatalf("events start at %d, %d event packets", firstEv, len(evs))
	}
	ends := 0
	for _, p := range evs {
		if p.Timestamp != wire[5].Timestamp {
			t.Errorf("event timestamp %d, want %d", p.Timestamp, wire[5].Timestamp)
		}
		if p.Payload[1]&0x80 != 0 {
			ends++
		}
	}
	after := wire[firstEv+len(evs)]
	if ends != 3 || after.PayloadType != 0 || !after.Marker || after.Timestamp != wire[4].Timestamp+160*8 {
		t.Errorf("ends %d; audio after: pt %d marker %v ts %d (last audio %d)", ends, after.PayloadType, after.Marker, after.Timestamp, wire[4].Timestamp)
	}
}

func TestDigitsNeedNegotiation(t *testing.T) {
	m := negotiated(g711.PCMU, addrB, false)
	m.Events = false
	s, err := New(Config{Conn: newSink(), Media: m, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SendDigit(1, time.Second); !errors.Is(err, ErrNoEvents) {
		t.Errorf("SendDigit: %v", err)
	}
	if err := s.StartDigit(1); !errors.Is(err, ErrNoEvents) {
		t.Errorf("StartDigit: %v", err)
	}
}

// A phone behind NAT: SDP says 192.168.1.50, packets come from 203.0.113.7.
func TestSymmetricRTPLatching(t *testing.T) {
	private := netip.MustParseAddrPort("192.168.1.50:10000")
	public := netip.MustParseAddrPort("203.0.113.7:31000")
	v := newVnet(t)
	pbx := newNode(t, v.clock, addrA, negotiated(g711.PCMU, private, false), 11, nil)
	phone := newNode(t, v.clock, private, negotiated(g711.PCMU, addrA, false), 22, nil)
	v.link(phone, pbx, impairment{from: public})
	// The PBX's packets to the phone: count where they go.
	dests := map[netip.AddrPort]int{}
	f := tone(0, 440, 3000)
	for range 10 {
		_ = pbx.s.WriteFrame(&f)
		for _, d := range pbx.rtp.Sent() {
			dests[d.Addr]++
		}
		v.tick(func() { _ = phone.s.WriteFrame(&f) }, func() { pbx.s.ReadFrame(&f) })
	}
	st := pbx.s.Stats()
	if !st.Latched || st.Remote != public {
		t.Fatalf("not latched: %+v", st)
	}
	if st.Discarded != 2 || st.PacketsReceived != 8 {
		t.Errorf("discarded %d received %d: want the first 2 dropped", st.Discarded, st.PacketsReceived)
	}
	if dests[private] != 3 || dests[public] != 7 {
		t.Errorf("destinations %v", dests)
	}

	// An attacker sprays packets: another SSRC never takes over, and the same
	// SSRC cannot either while the phone keeps talking.
	attacker := netip.MustParseAddrPort("198.51.100.66:4444")
	spray := func(ssrc uint32, seq uint16) {
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: 1, SSRC: ssrc}, Payload: make([]byte, 160)}
		b, _ := p.Marshal()
		pbx.rtp.Deliver(b, attacker)
	}
	for i := range 10 {
		spray(0xbad, uint16(i))
	}
	for i := range 10 {
		spray(22, uint16(5000+i))
		if i%2 == 1 {
			v.tick(func() { _ = phone.s.WriteFrame(&f) }, nil)
		}
	}
	if st := pbx.s.Stats(); st.Remote != public {
		t.Errorf("hijacked to %v", st.Remote)
	}

	// A re-INVITE to a new address starts latching over.
	m := negotiated(g711.PCMU, netip.MustParseAddrPort("192.0.2.99:7000"), false)
	if err := pbx.s.Update(m); err != nil {
		t.Fatal(err)
	}
	if st := pbx.s.Stats(); st.Latched || st.Remote != m.Remote {
		t.Errorf("after update: %+v", st)
	}
}

func TestLatchNever(t *testing.T) {
	v := newVnet(t)
	pbx := newNode(t, v.clock, addrA, negotiated(g711.PCMU, addrB, false), 11, func(c *Config) { c.Latch = LatchNever })
	phone := newNode(t, v.clock, addrB, negotiated(g711.PCMU, addrA, false), 22, nil)
	v.link(phone, pbx, impairment{from: netip.MustParseAddrPort("203.0.113.7:31000")})
	f := hal.Frame{}
	for range 5 {
		v.tick(func() { _ = phone.s.WriteFrame(&f) }, nil)
	}
	if st := pbx.s.Stats(); st.PacketsReceived != 5 || st.Latched || st.Remote != addrB {
		t.Errorf("%+v", st)
	}
}

// Hold and resume by re-INVITE: sendonly/recvonly/inactive, c=0.0.0.0.
func TestDirectionUpdates(t *testing.T) {
	v := newVnet(t)
	a := newNode(t, v.clock, addrA, negotiated(g711.PCMU, addrB, false), 11, nil)
	b := newNode(t, v.clock, addrB, negotiated(g711.PCMU, addrA, false), 22, nil)
	v.link(a, b, impairment{})
	v.link(b, a, impairment{})
	f := tone(0, 500, 2000)
	var last rtp.Packet
	sentBy := func(dir sdp.Direction, remote netip.AddrPort) (n int) {
		m := negotiated(g711.PCMU, remote, false)
		m.Direction = dir
		if err := a.s.Update(m); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			_ = a.s.WriteFrame(&f)
			for _, d := range a.rtp.Sent() {
				n++
				_ = last.Unmarshal(d.Data)
			}
		}
		return n
	}
	if n := sentBy(sdp.SendRecv, addrB); n != 3 {
		t.Errorf("sendrecv sent %d", n)
	}
	ts := last.Timestamp
	if n := sentBy(sdp.RecvOnly, addrB); n != 0 {
		t.Errorf("recvonly sent %d", n)
	}
	if n := sentBy(sdp.Inactive, addrB); n != 0 {
		t.Errorf("inactive sent %d", n)
	}
	if n := sentBy(sdp.SendRecv, netip.MustParseAddrPort("0.0.0.0:5000")); n != 0 {
		t.Errorf("c=0.0.0.0 sent %d", n)
	}
	if n := sentBy(sdp.SendOnly, addrB); n != 3 {
		t.Errorf("sendonly sent %d", n)
	}
	// 9 silent ticks kept the clock running; the resumed talkspurt is marked.
	if want := ts + 160*10; last.Timestamp != want+160*2 {
		t.Errorf("timestamp after hold %d, want %d", last.Timestamp, want+160*2)
	}
	// We are sendonly now: what b sends is dropped.
	v.tick(func() { _ = b.s.WriteFrame(&f) }, nil)
	if st := a.s.Stats(); st.PacketsReceived != 0 || st.Discarded != 1 {
		t.Errorf("sendonly received %+v", st)
	}
}

// RTCP sender and receiver reports flow every ~5 s; each side learns the
// other's view and the RTT.
func TestRTCPReports(t *testing.T) {
	for _, mux := range []bool{false, true} {
		name := map[bool]string{false: "port+1", true: "rtcp-mux"}[mux]
		t.Run(name, func(t *testing.T) {
			v := newVnet(t)
			a := newNode(t, v.clock, addrA, negotiated(g711.PCMU, addrB, mux), 11, nil)
			b := newNode(t, v.clock, addrB, negotiated(g711.PCMU, addrA, mux), 22, nil)
			oneWay := func(int) time.Duration { return 30 * time.Millisecond }
			v.link(a, b, impairment{delay: oneWay, drop: func(i int) bool { return i%50 == 7 }})
			v.link(b, a, impairment{delay: oneWay})
			f := tone(0, 300, 1000)
			for range 600 { // 12 s: at least two reports each way
				var g hal.Frame
				v.tick(func() { _ = a.s.WriteFrame(&f); _ = b.s.WriteFrame(&f) },
					func() { a.s.ReadFrame(&g); b.s.ReadFrame(&g) })
			}
			sa, sb := a.s.Stats(), b.s.Stats()
			if !sa.HaveRTT || sa.RTT < 59*time.Millisecond || sa.RTT > 62*time.Millisecond {
				t.Errorf("a: RTT %v (have %v), want 60 ms", sa.RTT, sa.HaveRTT)
			}
			if !sa.HaveRemote || sa.RemoteLost < 10 || sa.RemoteLost > int32(sb.Lost) {
				t.Errorf("a: remote view lost %d (b counts %d), have %v", sa.RemoteLost, sb.Lost, sa.HaveRemote)
			}
			if !sb.HaveRemote || sb.RemoteLost != 0 {
				t.Errorf("b: remote view %+v", sb)
			}
			if sa.Discarded != 0 || sb.Discarded != 0 {
				t.Errorf("RTCP counted as discarded RTP: %d %d", sa.Discarded, sb.Discarded)
			}
			if err := a.s.Bye("done"); err != nil {
				t.Fatal(err)
			}
			v.collect()
			v.advance(50 * time.Millisecond)
			if !b.s.Stats().ByeReceived {
				t.Error("BYE not seen")
			}
		})
	}
}

// A new SSRC (the phone restarted its stack) resets playout and stats.
func TestSSRCChange(t *testing.T) {
	v := newVnet(t)
	a := newNode(t, v.clock, addrA, negotiated(g711.PCMU, addrB, false), 11, func(c *Config) { c.Latch = LatchNever })
	f := hal.Frame{}
	send := func(ssrc uint32, seq uint16, ts uint32) {
		p := rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, SSRC: ssrc}, Payload: make([]byte, 160)}
		b, _ := p.Marshal()
		a.rtp.Deliver(b, addrB)
	}
	for i := range 10 {
		send(1, uint16(i), uint32(i*160))
		a.s.ReadFrame(&f)
	}
	for i := range 10 {
		send(2, uint16(30000+i), uint32(1e9+i*160))
		a.s.ReadFrame(&f)
	}
	st := a.s.Stats()
	if st.SSRCChanges != 1 || st.Lost != 0 || st.Late != 0 || st.PacketsReceived != 20 {
		t.Errorf("%+v", st)
	}
}

func TestReceiveRejectsGarbage(t *testing.T) {
	s, err := New(Config{Conn: newSink(), Media: negotiated(g711.PCMU, addrB, false), Now: time.Now, Latch: LatchNever})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{
		nil, {0x80}, make([]byte, 11),
		{0x40, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1},        // version 1
		{0x90, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1},        // extension bit with no extension
		{0x80, 18, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 2}, // G.729
	} {
		s.Receive(b, addrB, t0)
	}
	if st := s.Stats(); st.Discarded != 6 || st.PacketsReceived != 0 {
		t.Errorf("%+v", st)
	}
}

func TestReadFrameReportsOutput(t *testing.T) {
	s, err := New(Config{Conn: newSink(), Media: negotiated(g711.PCMU, addrB, false), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	var f hal.Frame
	if out := s.ReadFrame(&f); out != jitter.Idle {
		t.Errorf("%v", out)
	}
}
