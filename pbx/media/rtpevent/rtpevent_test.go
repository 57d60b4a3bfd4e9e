package rtpevent

import (
	"testing"
	"time"
)

func TestPayloadWireFormat(t *testing.T) {
	tests := []struct {
		p    Payload
		wire [4]byte
	}{
		{Payload{Event: 5, End: true, Volume: 10, Duration: 800}, [4]byte{0x05, 0x8a, 0x03, 0x20}},
		{Payload{Event: EventPound, Volume: 63, Duration: 0xffff}, [4]byte{0x0b, 0x3f, 0xff, 0xff}},
		{Payload{Event: EventFlash, Duration: 160}, [4]byte{0x10, 0x00, 0x00, 0xa0}},
	}
	for _, tc := range tests {
		var b [4]byte
		if _, err := tc.p.MarshalTo(b[:]); err != nil || b != tc.wire {
			t.Errorf("marshal %+v = % x, %v; want % x", tc.p, b, err, tc.wire)
		}
		var got Payload
		if err := got.Unmarshal(tc.wire[:]); err != nil || got != tc.p {
			t.Errorf("unmarshal % x = %+v, %v", tc.wire, got, err)
		}
	}
	// The reserved R bit is ignored on receive (RFC 4733 §2.3.3).
	var p Payload
	if err := p.Unmarshal([]byte{1, 0x40 | 7, 0, 1}); err != nil || p.Volume != 7 || p.End {
		t.Errorf("R bit: %+v %v", p, err)
	}
	if err := p.Unmarshal([]byte{1, 2, 3}); err == nil {
		t.Error("short payload accepted")
	}
	if _, err := p.MarshalTo(make([]byte, 3)); err == nil {
		t.Error("short buffer accepted")
	}
}

func TestDigits(t *testing.T) {
	for i, c := range "0123456789*#ABCD!" {
		ev, ok := ForDigit(c)
		if !ok || ev != Event(i) || ev.Digit() != c {
			t.Errorf("%q -> %d,%v -> %q", c, ev, ok, ev.Digit())
		}
	}
	if ev, ok := ForDigit('c'); !ok || ev != 14 {
		t.Errorf("lower-case c -> %d %v", ev, ok)
	}
	if _, ok := ForDigit('x'); ok {
		t.Error("x accepted")
	}
	if Event(40).Digit() != 0 || Event(40).String() != "event(40)" {
		t.Error("non-DTMF event named as a digit")
	}
}

type sent struct {
	tick   int
	marker bool
	end    bool
	dur    uint16
	ts     uint32
}

func run(s *Sender, ticks int, stopAt int) []sent {
	var out []sent
	var p Packet
	for i := 0; i < ticks; i++ {
		if i == stopAt {
			s.Stop()
		}
		if s.Next(160, &p) {
			out = append(out, sent{i, p.Marker, p.Payload.End, p.Payload.Duration, p.Timestamp})
		}
	}
	return out
}

func TestSenderSchedule(t *testing.T) {
	tests := []struct {
		name   string
		d      time.Duration
		stopAt int // tick at which Stop is called; -1 never
		want   []sent
	}{
		{
			name: "fixed 200 ms, updates on 50 ms boundaries", d: 200 * time.Millisecond, stopAt: -1,
			want: []sent{
				{0, true, false, 160, 1000},  // start, marker
				{2, false, false, 480, 1000}, // first tick past 50 ms
				{4, false, false, 800, 1000}, // 100 ms
				{7, false, false, 1280, 1000},
				{9, false, true, 1600, 1000}, // end, then two repeats, same ts and duration
				{10, false, true, 1600, 1000},
				{11, false, true, 1600, 1000},
			},
		},
		{
			name: "stopped live after 3 ticks", stopAt: 3,
			want: []sent{
				{0, true, false, 160, 1000},
				{2, false, false, 480, 1000},
				{3, false, true, 640, 1000},
				{4, false, true, 640, 1000},
				{5, false, true, 640, 1000},
			},
		},
		{
			name: "stopped at once is stretched to 40 ms", stopAt: 0,
			want: []sent{
				{0, true, false, 160, 1000},
				{1, false, true, 320, 1000},
				{2, false, true, 320, 1000},
				{3, false, true, 320, 1000},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSender(SenderOpts{})
			s.Start(5, 1000, tc.d)
			got := run(s, 20, tc.stopAt)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d packets %+v, want %+v", len(got), got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("packet %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
			if s.Busy() {
				t.Error("still busy after the end packets")
			}
		})
	}
}

func TestSenderCapsDuration(t *testing.T) {
	s := NewSender(SenderOpts{})
	s.Start(1, 0, 0) // until Stop, which never comes
	got := run(s, 500, -1)
	last := got[len(got)-1]
	if !last.end || last.dur != 0xffff || s.Busy() {
		t.Errorf("last packet %+v, busy %v", last, s.Busy())
	}
}

func TestSenderToReceiverExactlyOnce(t *testing.T) {
	s := NewSender(SenderOpts{})
	r := NewReceiver(ReceiverOpts{})
	var reports []Report
	var out [3]Report
	var p Packet
	var b [4]byte
	ts := uint32(5000)
	for _, digit := range "19#" {
		ev, _ := ForDigit(digit)
		s.Start(ev, ts, 100*time.Millisecond)
		for s.Busy() {
			ts += 160
			if !s.Next(160, &p) {
				continue
			}
			_, _ = p.Payload.MarshalTo(b[:])
			for copies := 0; copies < 2; copies++ { // every packet duplicated by the network
				n, err := r.Receive(p.Timestamp, b[:], &out)
				if err != nil {
					t.Fatal(err)
				}
				reports = append(reports, out[:n]...)
			}
		}
		ts += 800 // inter-digit gap
	}
	want := []struct {
		kind Kind
		d    rune
		dur  uint32
	}{{Begin, '1', 0}, {End, '1', 800}, {Begin, '9', 0}, {End, '9', 800}, {Begin, '#', 0}, {End, '#', 800}}
	if len(reports) != len(want) {
		t.Fatalf("reports %+v", reports)
	}
	for i, w := range want {
		g := reports[i]
		if g.Kind != w.kind || g.Event.Digit() != w.d || g.Duration != w.dur || g.Estimated {
			t.Errorf("report %d = %+v, want %v %q %d", i, g, w.kind, w.d, w.dur)
		}
	}
}

func pkt(ev Event, end bool, dur uint16) []byte {
	var b [4]byte
	_, _ = Payload{Event: ev, End: end, Volume: 10, Duration: dur}.MarshalTo(b[:])
	return b[:]
}

func TestReceiverEdgeCases(t *testing.T) {
	type in struct {
		ts    uint32
		ev    Event
		end   bool
		dur   uint16
		ticks int // media ticks before this packet
	}
	tests := []struct {
		name string
		in   []in
		want []Report
	}{
		{
			name: "start packets lost: begin and end from the end packet",
			in:   []in{{ts: 100, ev: 3, end: true, dur: 800}, {ts: 100, ev: 3, end: true, dur: 800}},
			want: []Report{{Kind: Begin, Event: 3, Timestamp: 100}, {Kind: End, Event: 3, Timestamp: 100, Duration: 800}},
		},
		{
			name: "all end packets lost: a new event ends the old one",
			in:   []in{{ts: 100, ev: 3, dur: 160}, {ts: 100, ev: 3, dur: 480}, {ts: 1000, ev: 4, dur: 160}},
			want: []Report{
				{Kind: Begin, Event: 3, Timestamp: 100},
				{Kind: End, Event: 3, Timestamp: 100, Duration: 480, Estimated: true},
				{Kind: Begin, Event: 4, Timestamp: 1000},
			},
		},
		{
			name: "same digit twice is two digits",
			in:   []in{{ts: 100, ev: 7, end: true, dur: 800}, {ts: 2000, ev: 7, end: true, dur: 800}},
			want: []Report{
				{Kind: Begin, Event: 7, Timestamp: 100}, {Kind: End, Event: 7, Timestamp: 100, Duration: 800},
				{Kind: Begin, Event: 7, Timestamp: 2000}, {Kind: End, Event: 7, Timestamp: 2000, Duration: 800},
			},
		},
		{
			name: "a late update after the end and a straggler of an older event report nothing",
			in: []in{
				{ts: 2000, ev: 1, dur: 160}, {ts: 2000, ev: 1, end: true, dur: 640},
				{ts: 2000, ev: 1, dur: 480}, {ts: 100, ev: 9, end: true, dur: 800},
			},
			want: []Report{{Kind: Begin, Event: 1, Timestamp: 2000}, {Kind: End, Event: 1, Timestamp: 2000, Duration: 640}},
		},
		{
			name: "timestamps wrap",
			in:   []in{{ts: 0xffffff00, ev: 2, end: true, dur: 320}, {ts: 0x100, ev: 2, end: true, dur: 320}},
			want: []Report{
				{Kind: Begin, Event: 2, Timestamp: 0xffffff00}, {Kind: End, Event: 2, Timestamp: 0xffffff00, Duration: 320},
				{Kind: Begin, Event: 2, Timestamp: 0x100}, {Kind: End, Event: 2, Timestamp: 0x100, Duration: 320},
			},
		},
		{
			name: "silence after updates times out once",
			in:   []in{{ts: 100, ev: 6, dur: 160}, {ts: 100, ev: 6, dur: 400, ticks: 5}, {ts: 5000, ev: 8, end: true, dur: 400, ticks: 20}},
			want: []Report{
				{Kind: Begin, Event: 6, Timestamp: 100},
				{Kind: End, Event: 6, Timestamp: 100, Duration: 400, Estimated: true},
				{Kind: Begin, Event: 8, Timestamp: 5000}, {Kind: End, Event: 8, Timestamp: 5000, Duration: 400},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReceiver(ReceiverOpts{})
			var got []Report
			var out [3]Report
			var rep Report
			for _, p := range tc.in {
				for range p.ticks {
					if r.Tick(160, &rep) {
						got = append(got, rep)
					}
				}
				n, err := r.Receive(p.ts, pkt(p.ev, p.end, p.dur), &out)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, out[:n]...)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("report %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestNoAllocations(t *testing.T) {
	s := NewSender(SenderOpts{})
	r := NewReceiver(ReceiverOpts{})
	var p Packet
	var out [3]Report
	b := pkt(1, false, 160)
	ts := uint32(0)
	if n := testing.AllocsPerRun(1000, func() {
		if !s.Busy() {
			ts += 2000
			s.Start(4, ts, 60*time.Millisecond)
		}
		s.Next(160, &p)
		_, _ = r.Receive(ts, b, &out)
	}); n != 0 {
		t.Errorf("%v allocs per tick", n)
	}
}

func FuzzReceiver(f *testing.F) {
	f.Add(uint32(100), []byte{5, 0x8a, 3, 0x20}, uint32(100), []byte{5, 0x0a, 0, 0xa0})
	f.Add(uint32(0), []byte{16, 0, 0, 0}, uint32(0xffffffff), []byte{1, 2})
	f.Fuzz(func(t *testing.T, ts1 uint32, p1 []byte, ts2 uint32, p2 []byte) {
		r := NewReceiver(ReceiverOpts{})
		var out [3]Report
		begins, ends := 0, 0
		for _, step := range []struct {
			ts uint32
			p  []byte
		}{{ts1, p1}, {ts2, p2}, {ts2, p2}, {ts1, p1}} {
			n, _ := r.Receive(step.ts, step.p, &out)
			for _, rep := range out[:n] {
				switch rep.Kind {
				case Begin:
					begins++
				case End:
					ends++
				}
				if ends > begins {
					t.Fatalf("end before begin: %+v", out[:n])
				}
			}
		}
		if begins > 2 || ends > begins {
			t.Fatalf("%d begins, %d ends", begins, ends)
		}
	})
}
