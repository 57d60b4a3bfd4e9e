package dtmf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// seg is one stretch of test signal: up to two tones, or silence when both
// frequencies are zero.
type seg struct {
	lowHz, highHz     float64
	lowDBm0, highDBm0 float64
	dur               time.Duration
}

// keySeg is a digit at the given per-tone levels.
func keySeg(digit byte, lowDBm0, highDBm0 float64, dur time.Duration) seg {
	lo, hi, ok := Frequencies(digit)
	if !ok {
		panic(fmt.Sprintf("bad digit %q", digit))
	}
	return seg{lowHz: lo, highHz: hi, lowDBm0: lowDBm0, highDBm0: highDBm0, dur: dur}
}

func gap(dur time.Duration) seg { return seg{dur: dur} }

// synth renders segments at 8 kHz with random tone phases, after lead
// samples of silence.
func synth(rng *rand.Rand, lead int, segs ...seg) []float64 {
	out := make([]float64, lead)
	for _, s := range segs {
		n := int(s.dur * sampleRate / time.Second)
		pl, ph := rng.Float64()*2*math.Pi, rng.Float64()*2*math.Pi
		for i := range n {
			t := float64(i) / sampleRate
			v := 0.0
			if s.lowHz > 0 {
				v += Amplitude(s.lowDBm0) * math.Sin(2*math.Pi*s.lowHz*t+pl)
			}
			if s.highHz > 0 {
				v += Amplitude(s.highDBm0) * math.Sin(2*math.Pi*s.highHz*t+ph)
			}
			out = append(out, v)
		}
	}
	return out
}

// addNoise adds white Gaussian noise of the given power (in dBm0, i.e.
// relative to a 0 dBm0 sine's power).
func addNoise(rng *rand.Rand, x []float64, dBm0 float64) {
	sigma := ZeroDBm0Peak / math.Sqrt2 * math.Pow(10, dBm0/20)
	for i := range x {
		x[i] += sigma * rng.NormFloat64()
	}
}

// toPCM rounds and clips to 16 bits.
func toPCM(x []float64) []int16 {
	out := make([]int16, len(x))
	for i, v := range x {
		out[i] = int16(max(math.MinInt16, min(math.MaxInt16, math.Round(v))))
	}
	return out
}

// detect runs a fresh detector over the samples, padded with 300 ms of
// silence so every digit ends, and returns the events.
func detect(pcm []int16) []Event {
	return detectWith(NewDetector(), pcm)
}

func detectWith(d *Detector, pcm []int16) []Event {
	var evs []Event
	var f [FrameSamples]int16
	total := len(pcm) + 300*sampleRate/1000
	for off := 0; off < total; off += FrameSamples {
		for i := range f {
			if off+i < len(pcm) {
				f[i] = pcm[off+i]
			} else {
				f[i] = 0
			}
		}
		if ev := d.Process(&f); ev.Kind != None {
			evs = append(evs, ev)
		}
	}
	return evs
}

// digits returns the KeyDown digits in order.
func digits(evs []Event) string {
	var b strings.Builder
	for _, ev := range evs {
		if ev.Kind == KeyDown {
			b.WriteByte(ev.Digit)
		}
	}
	return b.String()
}

// checkPairs verifies that events alternate KeyDown/KeyUp for the same digit.
func checkPairs(evs []Event) error {
	for i, ev := range evs {
		want := KeyDown
		if i%2 == 1 {
			want = KeyUp
		}
		if ev.Kind != want {
			return fmt.Errorf("event %d is %v %q, want %v: %v", i, ev.Kind, ev.Digit, want, evs)
		}
		if want == KeyUp && ev.Digit != evs[i-1].Digit {
			return fmt.Errorf("event %d: KeyUp %q after KeyDown %q", i, ev.Digit, evs[i-1].Digit)
		}
	}
	if len(evs)%2 != 0 {
		return fmt.Errorf("digit never released: %v", evs)
	}
	return nil
}

// readWAV parses a RIFF WAVE file holding 16-bit mono PCM and returns the
// sample rate and samples. It tolerates the oversized chunk lengths that
// streaming writers (espeak-ng --stdout) put in the header.
func readWAV(b []byte) (int, []int16, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return 0, nil, errors.New("wav: not a RIFF WAVE file")
	}
	rate := 0
	for p := 12; p+8 <= len(b); {
		id, n := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:p+8]))
		body := b[p+8:]
		if n > len(body) || n < 0 {
			n = len(body)
		}
		body = body[:n]
		switch id {
		case "fmt ":
			if n < 16 {
				return 0, nil, errors.New("wav: short fmt chunk")
			}
			format := binary.LittleEndian.Uint16(body[0:2])
			channels := binary.LittleEndian.Uint16(body[2:4])
			bits := binary.LittleEndian.Uint16(body[14:16])
			if format != 1 || channels != 1 || bits != 16 {
				return 0, nil, fmt.Errorf("wav: format %d, %d channels, %d bits; want PCM mono 16-bit", format, channels, bits)
			}
			rate = int(binary.LittleEndian.Uint32(body[4:8]))
		case "data":
			if rate == 0 {
				return 0, nil, errors.New("wav: data before fmt")
			}
			s := make([]int16, n/2)
			for i := range s {
				s[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return rate, s, nil
		}
		p += 8 + n + n%2
	}
	return 0, nil, errors.New("wav: no data chunk")
}

// resample converts to 8 kHz with a Hann-windowed sinc low-pass at 3.6 kHz.
func resample(in []int16, rate int) []int16 {
	if rate == sampleRate {
		return in
	}
	const half = 32 // taps each side, in input samples
	ratio := float64(rate) / sampleRate
	fc := 3600.0 / float64(rate) // cut-off, cycles per input sample
	out := make([]int16, int(float64(len(in))/ratio))
	for i := range out {
		t := float64(i) * ratio
		c := int(t)
		var acc, wsum float64
		for k := c - half + 1; k <= c+half; k++ {
			if k < 0 || k >= len(in) {
				continue
			}
			x := t - float64(k)
			h := 2 * fc
			if x != 0 {
				h = math.Sin(2*math.Pi*fc*x) / (math.Pi * x)
			}
			h *= 0.5 + 0.5*math.Cos(math.Pi*x/half)
			acc += h * float64(in[k])
			wsum += h
		}
		if wsum != 0 {
			acc /= wsum
		}
		out[i] = int16(max(math.MinInt16, min(math.MaxInt16, math.Round(acc))))
	}
	return out
}
