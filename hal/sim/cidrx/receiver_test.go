package cidrx

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// This file drives the receiver from its own FSK generator, which can
// detune the carrier and the baud rate; roundtrip_test.go drives it from
// the PBX's modulator.

type genOpts struct {
	std      Standard
	level    float64 // dBm0
	offsetHz float64 // added to both tones
	baudErr  float64 // relative, e.g. +0.01
	phase    float64 // initial carrier phase, radians
}

// fskBits lays out a burst: seizure, mark preamble, msg framed 8N1 LSB
// first, trailing mark.
func fskBits(seizure bool, markBits int, msg []byte) []byte {
	var bits []byte
	if seizure {
		for i := range 300 {
			bits = append(bits, byte(i&1))
		}
	}
	for range markBits {
		bits = append(bits, 1)
	}
	for _, b := range msg {
		bits = append(bits, 0)
		for k := range 8 {
			bits = append(bits, b>>k&1)
		}
		bits = append(bits, 1)
	}
	for range 10 {
		bits = append(bits, 1)
	}
	return bits
}

// fsk renders bits as phase-continuous FSK with bit edges placed at the
// exact (detuned) bit times.
func fsk(o genOpts, bits []byte) []float64 {
	mark, space := o.std.tones()
	amp := 22654 * math.Pow(10, o.level/20)
	spb := sampleRate / (1200 * (1 + o.baudErr))
	n := int(float64(len(bits)) * spb)
	out := make([]float64, n)
	ph := o.phase
	for i := range out {
		f := mark
		if bits[min(int(float64(i)/spb), len(bits)-1)] == 0 {
			f = space
		}
		out[i] = amp * math.Sin(ph)
		ph += 2 * math.Pi * (f + o.offsetHz) / sampleRate
	}
	return out
}

// withChecksum appends the GR-30 checksum.
func withChecksum(m ...byte) []byte {
	var s byte
	for _, c := range m {
		s += c
	}
	return append(m, -s)
}

// line is a stream of line audio under construction.
type line struct{ s []float64 }

func (l *line) silence(n int)   { l.s = append(l.s, make([]float64, n)...) }
func (l *line) add(x []float64) { l.s = append(l.s, x...) }
func (l *line) tone(n int, level float64, hz ...float64) {
	amp := 22654 * math.Pow(10, level/20)
	for i := range n {
		var v float64
		for _, f := range hz {
			v += amp * math.Sin(2*math.Pi*f*float64(i)/sampleRate)
		}
		l.s = append(l.s, v)
	}
}

// voice appends a crude vowel-like signal: a wandering pitch with
// formant-weighted harmonics and some breath noise, about -20 dBm0.
func (l *line) voice(n int, rng *rand.Rand) {
	ph := 0.0
	for i := range n {
		f0 := 110 + 60*math.Sin(2*math.Pi*float64(i)/2400) + 20*math.Sin(2*math.Pi*float64(i)/700)
		ph += 2 * math.Pi * f0 / sampleRate
		var v float64
		for h := 1; h <= 25; h++ {
			f := f0 * float64(h)
			if f > 3600 {
				break
			}
			// formants near 700, 1200 and 2500 Hz
			g := 1/(1+math.Pow((f-700)/150, 2)) + 0.6/(1+math.Pow((f-1200)/200, 2)) + 0.3/(1+math.Pow((f-2500)/250, 2))
			v += g * math.Sin(float64(h)*ph)
		}
		l.s = append(l.s, 1500*v+200*rng.NormFloat64())
	}
}

// noise adds white Gaussian noise snr dB below a sine of level dBm0.
func (l *line) noise(level, snr float64, rng *rand.Rand) {
	amp := 22654 * math.Pow(10, level/20)
	sigma := amp / math.Sqrt2 * math.Pow(10, -snr/20)
	for i := range l.s {
		l.s[i] += sigma * rng.NormFloat64()
	}
}

// feed plays the stream into r in whole frames (the last one padded with
// silence) starting at t0, and returns the time after the last frame.
func (l *line) feed(r *Receiver, t0 time.Time) time.Time {
	var f [frameSamples]int16
	at := t0
	for i := 0; i < len(l.s); i += frameSamples {
		f = [frameSamples]int16{}
		for j := 0; j < frameSamples && i+j < len(l.s); j++ {
			f[j] = int16(max(-32768, min(32767, math.Round(l.s[i+j]))))
		}
		r.Feed(&f, at)
		at = at.Add(20 * time.Millisecond)
	}
	return at
}

var t0 = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

func TestParse(t *testing.T) {
	on, off := true, false
	tests := []struct {
		name string
		msg  []byte
		want Message
	}{
		{"sdmf", withChecksum(0x04, 0x12, '0', '9', '3', '0', '1', '2', '2', '4', '6', '0', '9', '5', '5', '5', '1', '2', '1', '2'),
			Message{Type: 0x04, Date: "09301224", Number: "6095551212"}},
		{"sdmf private", withChecksum(0x04, 0x09, '0', '9', '3', '0', '1', '2', '2', '4', 'P'),
			Message{Type: 0x04, Date: "09301224", NumberAbsent: 'P'}},
		// Name before number, as the ME Labs example orders them.
		{"mdmf", withChecksum(0x80, 0x20, 0x01, 0x08, '0', '3', '2', '4', '0', '9', '0', '2',
			0x07, 0x08, 'J', 'O', 'H', 'N', ' ', 'D', 'O', 'E', 0x02, 0x0A, '8', '0', '0', '5', '5', '5', '1', '2', '1', '2'),
			Message{Type: 0x80, Date: "03240902", Number: "8005551212", Name: "JOHN DOE"}},
		{"mdmf absent, unknown param skipped", withChecksum(0x80, 0x09, 0x04, 0x01, 'O', 0x06, 0x01, 0x01, 0x08, 0x01, 'P'),
			Message{Type: 0x80, NumberAbsent: 'O', NameAbsent: 'P'}},
		{"mdmf dialable number", withChecksum(0x80, 0x05, 0x03, 0x03, '1', '2', '3'),
			Message{Type: 0x80, Number: "123"}},
		{"vmwi mdmf on", withChecksum(0x82, 0x03, 0x0B, 0x01, 0xFF), Message{Type: 0x82, MWI: &on}},
		{"vmwi mdmf off", withChecksum(0x82, 0x03, 0x0B, 0x01, 0x00), Message{Type: 0x82, MWI: &off}},
		{"vmwi sdmf on", withChecksum(0x06, 0x03, 0x42, 0x42, 0x42), Message{Type: 0x06, MWI: &on}},
		{"vmwi sdmf off", withChecksum(0x06, 0x03, 0x6F, 0x6F, 0x6F), Message{Type: 0x06, MWI: &off}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !valid(tt.msg) {
				t.Fatalf("valid(% X) = false", tt.msg)
			}
			checkMessage(t, parse(tt.msg, time.Time{}, false), tt.want)
		})
	}
	for _, bad := range [][]byte{
		{0x04, 0x01, 'P', 0xAA},                        // bad checksum
		withChecksum(0x04, 0x01, 'P'),                  // SDMF without a date
		withChecksum(0x06, 0x03, 0x42, 0x42, 0x6F),     // mixed VMWI bytes
		withChecksum(0x80, 0x04, 0x02, 0x05, '1', '2'), // parameter overruns the message
		withChecksum(0x80, 0x03, 0x02, 0x00, 0x07),     // dangling parameter type
	} {
		if valid(bad) {
			t.Errorf("valid(% X) = true", bad)
		}
	}
}

func checkMessage(t *testing.T, got, want Message) {
	t.Helper()
	if got.Type != want.Type || got.Date != want.Date || got.Number != want.Number || got.Name != want.Name ||
		got.NumberAbsent != want.NumberAbsent || got.NameAbsent != want.NameAbsent || (got.MWI == nil) != (want.MWI == nil) ||
		(got.MWI != nil && *got.MWI != *want.MWI) {
		t.Errorf("got %+v (MWI %v)\nwant %+v (MWI %v)", got, mwi(got.MWI), want, mwi(want.MWI))
	}
}

func mwi(p *bool) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestImpairments runs every combination of level, carrier offset and baud
// error the receiver must tolerate, each with a random carrier phase, white
// noise at 20 dB S/N and the burst starting at a random sample of a frame.
func TestImpairments(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	on := true
	msgs := []struct {
		msg  []byte
		want Message
	}{
		{withChecksum(0x04, 0x12, '0', '9', '3', '0', '1', '2', '2', '4', '6', '0', '9', '5', '5', '5', '1', '2', '1', '2'),
			Message{Type: 0x04, Date: "09301224", Number: "6095551212"}},
		{withChecksum(0x80, 0x20, 0x01, 0x08, '0', '3', '2', '4', '0', '9', '0', '2',
			0x02, 0x0A, '8', '0', '0', '5', '5', '5', '1', '2', '1', '2', 0x07, 0x08, 'J', 'O', 'H', 'N', ' ', 'D', 'O', 'E'),
			Message{Type: 0x80, Date: "03240902", Number: "8005551212", Name: "JOHN DOE"}},
		{withChecksum(0x82, 0x03, 0x0B, 0x01, 0xFF), Message{Type: 0x82, MWI: &on}},
	}
	cases := 0
	for _, std := range []Standard{Bell202, V23} {
		for _, level := range []float64{-5, -13.5, -35} {
			for _, off := range []float64{-10, 0, 10} {
				for _, baudErr := range []float64{-0.01, 0, 0.01} {
					for mi, m := range msgs {
						seize := mi != 2 || std == Bell202
						o := genOpts{std: std, level: level, offsetHz: off, baudErr: baudErr, phase: rng.Float64() * 2 * math.Pi}
						var l line
						lead := 2000 + rng.IntN(160)
						l.silence(lead)
						burst := fsk(o, fskBits(seize, 150*1200/1000, m.msg))
						l.add(burst)
						l.silence(4000)
						l.noise(level, 20, rng)
						r := New(std)
						l.feed(r, t0)
						got := r.Messages()
						if len(got) != 1 || r.Errors() != 0 {
							t.Errorf("%v %v dBm0 %+v Hz baud %+v msg %d: %d messages, %d errors", std, level, off, baudErr, mi, len(got), r.Errors())
							continue
						}
						checkMessage(t, got[0], m.want)
						if got[0].Seizure != seize {
							t.Errorf("%v msg %d: seizure %v, want %v", std, mi, got[0].Seizure, seize)
						}
						// The message ends with the checksum's stop bit, 10
						// trailing mark bits before the end of the burst.
						end := t0.Add(time.Duration(float64(lead+len(burst))-10*sampleRate/1200/(1+baudErr)) * sampleDur)
						if d := got[0].At.Sub(end); d < -1500*time.Microsecond || d > 1500*time.Microsecond {
							t.Errorf("%v msg %d: At is %v from the end of the message", std, mi, d)
						}
						cases++
					}
				}
			}
		}
	}
	t.Logf("%d bursts decoded", cases)
}

// TestSurroundings puts voice and call-progress tones right before and
// after the burst.
func TestSurroundings(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	msg := withChecksum(0x80, 0x0F, 0x02, 0x03, '2', '0', '1', 0x07, 0x08, 'R', 'e', 'c', 'e', 'p', 't', 'i', 'o')
	want := Message{Type: 0x80, Number: "201", Name: "Receptio"}
	for _, std := range []Standard{Bell202, V23} {
		for _, tc := range []struct {
			name          string
			before, after func(l *line)
		}{
			{"voice", func(l *line) { l.voice(8000, rng) }, func(l *line) { l.voice(8000, rng) }},
			{"dial tone", func(l *line) { l.tone(4000, -13, 350, 440) }, func(l *line) { l.tone(4000, -13, 350, 440) }},
			{"voice then gap", func(l *line) { l.voice(8000, rng); l.silence(400) }, func(l *line) { l.silence(400); l.tone(8000, -20, 1000) }},
		} {
			var l line
			tc.before(&l)
			l.add(fsk(genOpts{std: std, level: -20, phase: 1}, fskBits(true, 150*1200/1000, msg)))
			tc.after(&l)
			l.noise(-20, 30, rng)
			r := New(std)
			l.feed(r, t0)
			got := r.Messages()
			if len(got) != 1 {
				t.Errorf("%v %s: %d messages, %d errors", std, tc.name, len(got), r.Errors())
				continue
			}
			checkMessage(t, got[0], want)
		}
	}
}

// TestNoGarbage feeds minutes of speech, tones and noise: nothing may come
// out.
func TestNoGarbage(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, std := range []Standard{Bell202, V23} {
		var l line
		l.voice(8000*30, rng)
		for _, tone := range [][]float64{{350, 440}, {480, 620}, {440, 480}, {425}, {400, 450}, {1400}, {913.8}, {1370.6}, {1776.7}, {697, 1209}, {941, 1633}, {1300}, {1200}, {2100}, {2200}} {
			l.tone(8000*2, -10, tone...)
			l.silence(800)
		}
		n := len(l.s)
		l.s = append(l.s, make([]float64, 8000*20)...)
		for i := n; i < len(l.s); i++ {
			l.s[i] = 3000 * rng.NormFloat64()
		}
		r := New(std)
		l.feed(r, t0)
		if m := r.Messages(); len(m) != 0 {
			t.Errorf("%v: %d messages from garbage: %+v", std, len(m), m)
		}
		if a := r.Alerts(); len(a) != 0 {
			t.Errorf("%v: %d alerts from garbage", std, len(a))
		}
		// Nothing looked enough like a message start to count as a bad one.
		if r.Errors() != 0 {
			t.Errorf("%v: %d errors from garbage", std, r.Errors())
		}
	}
}

func TestBadMessages(t *testing.T) {
	good := withChecksum(0x80, 0x05, 0x02, 0x03, '2', '0', '1')
	badSum := append([]byte(nil), good...)
	badSum[5] = '9'
	for _, tc := range []struct {
		name string
		msg  []byte
		// cut stops the burst this many bits after the start of the message
		cut int
	}{
		{"checksum", badSum, 0},
		{"carrier lost", good, 35},
	} {
		r := New(Bell202)
		var l line
		l.silence(1000)
		bits := fskBits(true, 180, tc.msg)
		if tc.cut > 0 {
			bits = bits[:300+180+tc.cut]
		}
		l.add(fsk(genOpts{std: Bell202, level: -13.5}, bits))
		l.silence(2000)
		// then a good one, to show the receiver recovered
		l.add(fsk(genOpts{std: Bell202, level: -13.5}, fskBits(true, 180, good)))
		l.silence(2000)
		l.feed(r, t0)
		m := r.Messages()
		if r.Errors() != 1 || len(m) != 1 || m[0].Number != "201" {
			t.Errorf("%s: errors %d, messages %+v", tc.name, r.Errors(), m)
		}
	}
	// A stop bit sent as space is a framing error.
	r := New(V23)
	bits := fskBits(true, 180, good)
	bits[300+180+10*3+9] = 0
	var l line
	l.silence(500)
	l.add(fsk(genOpts{std: V23, level: -13.5}, bits))
	l.silence(2000)
	l.feed(r, t0)
	if m := r.Messages(); r.Errors() != 1 || len(m) != 0 {
		t.Errorf("framing: errors %d, messages %+v", r.Errors(), m)
	}
}

func TestAlert(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct {
		name  string
		ms    int
		hz    []float64
		level float64
		want  bool
	}{
		{"DT-AS 100 ms", 100, []float64{2130, 2750}, -16.5, true},
		{"DT-AS 80 ms", 80, []float64{2130, 2750}, -16.5, true},
		{"DT-AS 110 ms quiet", 110, []float64{2130, 2750}, -35, true},
		{"DT-AS 0.5 % high", 100, []float64{2140.6, 2763.8}, -10, true},
		{"DT-AS 60 ms", 60, []float64{2130, 2750}, -16.5, false},
		{"2130 only", 100, []float64{2130}, -16.5, false},
		{"2750 only", 100, []float64{2750}, -16.5, false},
		{"2130+2750 steady", 1000, []float64{2130, 2750}, -16.5, false},
	} {
		for _, std := range []Standard{Bell202, V23} {
			r := New(std)
			var l line
			lead := 3000 + rng.IntN(160)
			l.silence(lead)
			l.tone(tc.ms*8, tc.level, tc.hz...)
			l.silence(2000)
			l.noise(tc.level, 20, rng)
			l.feed(r, t0)
			a := r.Alerts()
			if got := len(a) == 1; got != tc.want || len(a) > 1 {
				t.Errorf("%s %v: %d alerts", tc.name, std, len(a))
				continue
			}
			if tc.want {
				onset := t0.Add(time.Duration(lead) * sampleDur)
				if d := a[0].Sub(onset); d < -10*time.Millisecond || d > 10*time.Millisecond {
					t.Errorf("%s: onset off by %v", tc.name, d)
				}
			}
			if len(r.Messages()) != 0 {
				t.Errorf("%s: alert decoded as a message", tc.name)
			}
		}
	}
}

func TestFeedAllocs(t *testing.T) {
	r := New(Bell202)
	var l line
	l.silence(100)
	l.add(fsk(genOpts{std: Bell202, level: -13.5}, fskBits(true, 180, withChecksum(0x82, 0x03, 0x0B, 0x01, 0xFF))))
	l.tone(800, -16, 2130, 2750)
	l.silence(1000)
	var frames [][frameSamples]int16
	for i := 0; i+frameSamples <= len(l.s); i += frameSamples {
		var f [frameSamples]int16
		for j := range f {
			f[j] = int16(l.s[i+j])
		}
		frames = append(frames, f)
	}
	i := 0
	at := t0
	if n := testing.AllocsPerRun(500, func() {
		r.Feed(&frames[i%len(frames)], at)
		i++
		at = at.Add(20 * time.Millisecond)
	}); n != 0 {
		t.Errorf("Feed allocs = %v, want 0", n)
	}
	if len(r.Messages()) == 0 || len(r.Alerts()) == 0 {
		t.Error("the alloc test decoded nothing: it measured the idle path only")
	}
}
