package cidrx_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/hal/sim/cidrx"
	"github.com/hookswitch/hookswitch/pbx/callerid"
)

// The round trip: the PBX's encoder and modulator on one side, the phone's
// receiver on the other, with a line model in between.

var t0 = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

// modulate plays a burst from the PBX modulator into a sample stream.
func modulate(t *testing.T, std callerid.Standard, level float64, b callerid.Burst) []float64 {
	t.Helper()
	m := callerid.NewModulator(std)
	m.SetLevel(level)
	if err := m.Start(b); err != nil {
		t.Fatal(err)
	}
	var out []float64
	var f [160]int16
	for more := true; more; {
		more = m.Fill(&f)
		for _, v := range f {
			out = append(out, float64(v))
		}
	}
	for len(out) > 0 && out[len(out)-1] == 0 { // up to the burst's last sample
		out = out[:len(out)-1]
	}
	return out
}

// allpass is a first-order all-pass section: it shifts the phase of each
// tone by a different amount, as a line does, without changing levels.
func allpass(x []float64, a float64) {
	var x1, y1 float64
	for i, v := range x {
		y := a*v + x1 - a*y1
		x1, y1 = v, y
		x[i] = y
	}
}

func addNoise(x []float64, level, snr float64, rng *rand.Rand) {
	sigma := 22654 * math.Pow(10, level/20) / math.Sqrt2 * math.Pow(10, -snr/20)
	for i := range x {
		x[i] += sigma * rng.NormFloat64()
	}
}

// feed plays x into r in 20 ms frames from t0.
func feed(r *cidrx.Receiver, x []float64) {
	var f [160]int16
	at := t0
	for i := 0; i < len(x); i += 160 {
		f = [160]int16{}
		for j := 0; j < 160 && i+j < len(x); j++ {
			f[j] = int16(max(-32768, min(32767, math.Round(x[i+j]))))
		}
		r.Feed(&f, at)
		at = at.Add(20 * time.Millisecond)
	}
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	when := time.Date(2026, time.December, 24, 18, 5, 0, 0, time.UTC)
	on, off := true, false
	type want struct {
		typ                      byte
		date, number, name       string
		numberAbsent, nameAbsent byte
		mwi                      *bool
	}
	msgs := []struct {
		name string
		msg  []byte
		want want
	}{
		{"sdmf", callerid.SDMF(callerid.Info{Time: when, Number: "2125551234"}),
			want{typ: 0x04, date: "12241805", number: "2125551234"}},
		{"sdmf private", callerid.SDMF(callerid.Info{Time: when, NumberAbsent: callerid.Private}),
			want{typ: 0x04, date: "12241805", numberAbsent: 'P'}},
		{"mdmf", callerid.MDMF(callerid.Info{Time: when, Number: "+441632960123", Name: "Ada Lovelace"}),
			want{typ: 0x80, date: "12241805", number: "+441632960123", name: "Ada Lovelace"}},
		{"mdmf withheld", callerid.MDMF(callerid.Info{NumberAbsent: callerid.Private, NameAbsent: callerid.Unavailable}),
			want{typ: 0x80, numberAbsent: 'P', nameAbsent: 'O'}},
		{"vmwi mdmf on", callerid.VMWI(true, true), want{typ: 0x82, mwi: &on}},
		{"vmwi sdmf off", callerid.VMWI(false, false), want{typ: 0x06, mwi: &off}},
	}
	stds := []struct {
		tx callerid.Standard
		rx cidrx.Standard
	}{{callerid.Bell202, cidrx.Bell202}, {callerid.V23, cidrx.V23}}
	for _, std := range stds {
		for _, m := range msgs {
			for _, level := range []float64{-5, callerid.DefaultLevel, -35} {
				for _, seize := range []bool{true, false} {
					// An odd lead-in shifts the burst to an arbitrary
					// sample of a frame.
					lead := 2*rng.IntN(400) + 1
					x := make([]float64, lead)
					burst := modulate(t, std.tx, level, callerid.Burst{Seizure: seize, MarkMs: 150, Msg: m.msg})
					x = append(x, burst...)
					x = append(x, make([]float64, 2400)...)
					allpass(x, rng.Float64()-0.5)
					addNoise(x, level, 20, rng)
					r := cidrx.New(std.rx)
					feed(r, x)
					got := r.Messages()
					if len(got) != 1 || r.Errors() != 0 {
						t.Errorf("%v %s %.1f dBm0 seizure %v: %d messages, %d errors", std.tx, m.name, level, seize, len(got), r.Errors())
						continue
					}
					g, w := got[0], m.want
					if g.Type != w.typ || g.Date != w.date || g.Number != w.number || g.Name != w.name ||
						g.NumberAbsent != w.numberAbsent || g.NameAbsent != w.nameAbsent || g.Seizure != seize ||
						(g.MWI == nil) != (w.mwi == nil) || (g.MWI != nil && *g.MWI != *w.mwi) {
						t.Errorf("%v %s: got %+v", std.tx, m.name, g)
					}
					// It ended with the checksum's stop bit, about 11 ms of
					// trailing mark and fade before the burst's last sample.
					end := t0.Add(time.Duration(lead+len(burst)) * time.Second / 8000)
					if d := end.Sub(g.At); d < 8*time.Millisecond || d > 14*time.Millisecond {
						t.Errorf("%v %s: At is %v before the burst's end", std.tx, m.name, d)
					}
				}
			}
		}
	}
}

// TestRoundTripETSI sends the ETSI EN 300 659-1 sequence before ringing:
// DT-AS, a gap, then V.23 data without channel seizure (as BT SIN 227).
func TestRoundTripETSI(t *testing.T) {
	var a callerid.Alert
	a.Start(callerid.AlertDuration)
	var x []float64
	x = append(x, make([]float64, 1001)...)
	var f [160]int16
	for more := true; more; {
		more = a.Fill(&f)
		for _, v := range f {
			x = append(x, float64(v))
		}
	}
	x = append(x, make([]float64, 400)...) // 50 ms, within SIN 227's 45–75 ms
	x = append(x, modulate(t, callerid.V23, callerid.DefaultLevel, callerid.Burst{
		MarkMs: 80, Msg: callerid.MDMF(callerid.Info{Number: "01632960000", Name: "BT"}),
	})...)
	x = append(x, make([]float64, 1600)...)
	addNoise(x, callerid.DefaultLevel, 20, rand.New(rand.NewPCG(1, 1)))
	r := cidrx.New(cidrx.V23)
	feed(r, x)
	alerts := r.Alerts()
	if len(alerts) != 1 {
		t.Fatalf("%d alerts, want 1", len(alerts))
	}
	if d := alerts[0].Sub(t0.Add(1001 * time.Second / 8000)); d < -10*time.Millisecond || d > 10*time.Millisecond {
		t.Errorf("alert onset off by %v", d)
	}
	m := r.Messages()
	if len(m) != 1 || m[0].Number != "01632960000" || m[0].Name != "BT" || m[0].Seizure || r.Errors() != 0 {
		t.Errorf("messages %+v, errors %d", m, r.Errors())
	}
	if !m[0].At.After(alerts[0]) {
		t.Error("message before its alert")
	}
}

// TestCorrupted damages one byte of the modulated stream: the message must
// be dropped and counted, and the receiver must take the next one.
func TestCorrupted(t *testing.T) {
	msg := callerid.MDMF(callerid.Info{Number: "5551234", Name: "Bob"})
	const seizure, mark = 300, 180 // bits before the message
	// bitStart is the first sample of bit i, on the modulator's 6⅔-sample grid.
	bitStart := func(i int) int { return (i*8000 + 1199) / 1200 }
	for _, tc := range []struct {
		name string
		bit  int // bit of the message (10 per byte) to invert on the line
	}{
		{"data bit", 10*7 + 3},
		{"stop bit", 10*5 + 9},
		{"length byte", 10*1 + 2},
		{"checksum", 10*(len(msg)-1) + 8},
	} {
		for _, std := range []struct {
			tx callerid.Standard
			rx cidrx.Standard
		}{{callerid.Bell202, cidrx.Bell202}, {callerid.V23, cidrx.V23}} {
			burst := modulate(t, std.tx, callerid.DefaultLevel, callerid.Burst{Seizure: true, MarkMs: 150, Msg: msg})
			i := seizure + mark + tc.bit
			byteVal := msg[tc.bit/10]
			k := tc.bit % 10
			was := byte(1) // stop bit
			if k > 0 && k < 9 {
				was = byteVal >> (k - 1) & 1
			}
			hz := 1200.0
			if std.tx == callerid.V23 {
				hz = 1300
			}
			if was == 1 { // send space instead of mark
				hz += 1000
				if std.tx == callerid.V23 {
					hz -= 200
				}
			}
			amp := 22654 * math.Pow(10, callerid.DefaultLevel/20)
			for n := bitStart(i); n < bitStart(i+1); n++ {
				burst[n] = amp * math.Sin(2*math.Pi*hz*float64(n)/8000)
			}
			x := append(make([]float64, 777), burst...)
			x = append(x, make([]float64, 2000)...)
			x = append(x, modulate(t, std.tx, callerid.DefaultLevel, callerid.Burst{Seizure: true, MarkMs: 150, Msg: msg})...)
			x = append(x, make([]float64, 2000)...)
			r := cidrx.New(std.rx)
			feed(r, x)
			got := r.Messages()
			if r.Errors() != 1 || len(got) != 1 || got[0].Name != "Bob" {
				t.Errorf("%s %v: errors %d, messages %+v", tc.name, std.tx, r.Errors(), got)
			}
		}
	}
	// A byte changed before modulation: framing fine, checksum wrong.
	bad := append([]byte(nil), msg...)
	bad[4] ^= 0x01
	x := modulate(t, callerid.Bell202, -20, callerid.Burst{Seizure: true, MarkMs: 150, Msg: bad})
	r := cidrx.New(cidrx.Bell202)
	feed(r, append(x, make([]float64, 800)...))
	if m := r.Messages(); r.Errors() != 1 || len(m) != 0 {
		t.Errorf("bad checksum: errors %d, messages %+v", r.Errors(), m)
	}
}
