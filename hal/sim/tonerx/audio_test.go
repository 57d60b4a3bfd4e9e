package tonerx_test

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/hal"
)

// normalise scales x to an RMS level of dBm0 (a sine's RMS at that level).
func normalise(x []float64, dBm0 float64) []float64 {
	e := 0.0
	for _, v := range x {
		e += v * v
	}
	rms := math.Sqrt(e / float64(len(x)))
	want := ref0dBm0 / math.Sqrt2 * math.Pow(10, dBm0/20)
	for i := range x {
		x[i] *= want / rms
	}
	return x
}

// resonator is a two-pole band-pass filter at f Hz with bandwidth bw.
type resonator struct{ y1, y2 float64 }

func (r *resonator) step(x, f, bw float64) float64 {
	rad := math.Exp(-math.Pi * bw / hal.SampleRate)
	a1 := 2 * rad * math.Cos(2*math.Pi*f/hal.SampleRate)
	y := (1-rad)*x + a1*r.y1 - rad*rad*r.y2
	r.y1, r.y2 = y, r.y1
	return y
}

// speechLike synthesises a voice-like signal: a glottal pulse train with a
// wandering pitch through three moving formants, syllable-rate loudness
// and some breath noise. It is deterministic, so the voice tests run with
// or without espeak-ng.
func speechLike(d time.Duration, seed uint64, dBm0 float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	n := int(d / sampleDur)
	out := make([]float64, n)
	var f1, f2, f3 resonator
	phase := 0.0
	for i := range n {
		t := float64(i) / hal.SampleRate
		f0 := 115 + 35*math.Sin(2*math.Pi*0.7*t) + 12*math.Sin(2*math.Pi*3.1*t)
		phase += f0 / hal.SampleRate
		pulse := 0.0
		if phase >= 1 {
			phase--
			pulse = 1
		}
		src := pulse + 0.02*rng.NormFloat64()
		v := f1.step(src, 600+250*math.Sin(2*math.Pi*1.3*t), 90) +
			0.7*f2.step(src, 1500+450*math.Sin(2*math.Pi*0.9*t+1), 110) +
			0.4*f3.step(src, 2550+150*math.Sin(2*math.Pi*0.5*t), 150)
		env := 0.15 + 0.85*math.Sqrt(max(0, math.Sin(2*math.Pi*3.7*t)))
		out[i] = v * env
	}
	return normalise(out, dBm0)
}

// chords synthesises music: major triads of harmonic-rich notes, 400 ms
// each, including F major (349 + 440 + 523 Hz), which shares two
// frequencies with North American dial tone.
func chords(d time.Duration, dBm0 float64) []float64 {
	triads := [][3]float64{{261.63, 329.63, 392.00}, {349.23, 440.00, 523.25}, {392.00, 493.88, 587.33}, {220.00, 277.18, 329.63}}
	n := int(d / sampleDur)
	out := make([]float64, n)
	for i := range n {
		t := float64(i) / hal.SampleRate
		tri := triads[int(t/0.4)%len(triads)]
		for _, f := range tri {
			for h, a := range []float64{1, 0.6, 0.4, 0.3, 0.2} {
				out[i] += a * math.Sin(2*math.Pi*f*float64(h+1)*t)
			}
		}
	}
	return normalise(out, dBm0)
}

// readWAV8k reads a 16-bit mono 8 kHz PCM WAV file; ok is false for any
// other format.
func readWAV8k(path string) (x []float64, ok bool) {
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, false
	}
	var fmtOK bool
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		body := b[p+8 : min(p+8+size, len(b))]
		switch id {
		case "fmt ":
			fmtOK = len(body) >= 16 && binary.LittleEndian.Uint16(body) == 1 &&
				binary.LittleEndian.Uint16(body[2:]) == 1 &&
				binary.LittleEndian.Uint32(body[4:]) == hal.SampleRate &&
				binary.LittleEndian.Uint16(body[14:]) == 16
		case "data":
			if !fmtOK {
				return nil, false
			}
			for i := 0; i+1 < len(body); i += 2 {
				x = append(x, float64(int16(binary.LittleEndian.Uint16(body[i:]))))
			}
			return x, len(x) > 0
		}
		p += 8 + size + size%2
	}
	return nil, false
}

// speechFixtures returns recorded speech: WAV fixtures committed by
// pbx/dtmf (testdata/audio/speech-*.wav), or, when espeak-ng and sox are
// installed, speech synthesised now. It may return nothing.
func speechFixtures(t *testing.T) map[string][]float64 {
	out := map[string][]float64{}
	for _, dir := range []string{"../../../pbx/dtmf/testdata/audio", "../../../testdata/audio"} {
		files, _ := filepath.Glob(filepath.Join(dir, "speech-*.wav"))
		for _, f := range files {
			if x, ok := readWAV8k(f); ok {
				out[filepath.Base(f)] = x
			}
		}
	}
	espeak, err1 := exec.LookPath("espeak-ng")
	sox, err2 := exec.LookPath("sox")
	if err1 != nil || err2 != nil {
		return out
	}
	dir := t.TempDir()
	texts := map[string][2]string{
		"espeak-en-us": {"en-us", "Hello, you have reached the front desk. Please hold while I transfer your call to the sales department."},
		"espeak-de":    {"de", "Guten Tag, hier ist die Zentrale. Einen Moment bitte, ich verbinde Sie mit der Buchhaltung."},
		"espeak-en-gb": {"en-gb", "Four hundred and forty five, nine nine nine, one two three. Thank you for calling."},
	}
	for name, tv := range texts {
		wav, w8 := filepath.Join(dir, name+".wav"), filepath.Join(dir, name+"-8k.wav")
		if exec.Command(espeak, "-v", tv[0], "-w", wav, tv[1]).Run() != nil ||
			exec.Command(sox, wav, "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", w8).Run() != nil {
			continue
		}
		if x, ok := readWAV8k(w8); ok {
			out[name] = x
		}
	}
	return out
}
