package tone

import (
	"fmt"
	"math"
	"time"

	"github.com/hookswitch/hookswitch/hal"
)

// Name names a tone. The FXS channel asks a Plan for a tone by Name.
type Name string

// Tone names. Every plan has all of them except Recall, which only plans
// with a standard dial-recall tone carry.
const (
	Dial        Name = "dialtone"
	Stutter     Name = "stutter"     // message-waiting / special dial tone
	Ringback    Name = "ringback"    // audible ringing tone
	Busy        Name = "busy"        // called line busy
	Congestion  Name = "congestion"  // reorder, path engaged, invalid number
	CallWaiting Name = "callwaiting" // heard during a call
	Howler      Name = "howler"      // receiver off hook too long
	Confirm     Name = "confirm"     // feature confirmation (positive indication)
	Recall      Name = "dialrecall"  // dial tone after a hook flash
	Info        Name = "info"        // special information tone (SIT)
)

// Ref0dBm0Peak is the peak amplitude, in 16-bit linear samples, of a sine
// wave at 0 dBm0. ITU-T G.711 (11/88) Table 2a: the µ-law characteristic
// overloads (Tmax) at +3.17 dBm0, the virtual decision value 8159 in 14-bit
// units, i.e. 32636 in 16-bit; 32636 / 10^(3.17/20) = 22657.
const Ref0dBm0Peak = 22657.0

// Amplitude returns the peak amplitude of a sine at level dBm0.
func Amplitude(dBm0 float64) float64 { return Ref0dBm0Peak * math.Pow(10, dBm0/20) }

// samplePeriod is the duration of one sample at hal.SampleRate.
const samplePeriod = time.Second / hal.SampleRate

// Part is one segment of a tone: up to four frequencies summed, each at its
// own level, for Dur. A Part with no frequency is silence.
type Part struct {
	Freqs [4]uint16     // Hz; 0 = slot unused
	Level [4]int8       // dBm0 of each used component
	Dur   time.Duration // 0 = forever (last part only); else a whole number of samples
	Once  bool          // part of the intro, played once: exactly Parts[:Spec.Loop]
}

// Silent reports whether the part has no frequency.
func (p Part) Silent() bool { return p.Freqs == [4]uint16{} }

// Samples returns the part's length in samples, or 0 for forever.
func (p Part) Samples() int { return int(p.Dur / samplePeriod) }

// Spec is a whole tone: Parts[:Loop] play once, then Parts[Loop:] repeat.
// Loop == len(Parts) means nothing repeats and the tone ends after its parts.
type Spec struct {
	Name  Name
	Parts []Part
	Loop  int
}

// Validate checks that the Player can play s as written.
func (s Spec) Validate() error {
	if s.Name == "" || len(s.Parts) == 0 {
		return fmt.Errorf("%w: %q has no name or no parts", ErrBadSpec, s.Name)
	}
	if s.Loop < 0 || s.Loop > len(s.Parts) {
		return fmt.Errorf("%w: %s: loop %d outside 0..%d", ErrBadSpec, s.Name, s.Loop, len(s.Parts))
	}
	for i, p := range s.Parts {
		if p.Once != (i < s.Loop) {
			return fmt.Errorf("%w: %s part %d: Once=%v but loop starts at %d", ErrBadSpec, s.Name, i, p.Once, s.Loop)
		}
		switch {
		case p.Dur < 0 || p.Dur%samplePeriod != 0:
			return fmt.Errorf("%w: %s part %d: duration %v is not a whole number of samples", ErrBadSpec, s.Name, i, p.Dur)
		case p.Dur == 0 && i != len(s.Parts)-1:
			return fmt.Errorf("%w: %s part %d: only the last part may last forever", ErrBadSpec, s.Name, i)
		case p.Dur == 0 && p.Silent() && s.Loop == len(s.Parts):
			return fmt.Errorf("%w: %s: endless silence at the end; end the tone instead", ErrBadSpec, s.Name)
		}
		peak := 0.0
		for j, f := range p.Freqs {
			if f == 0 {
				continue
			}
			if f >= hal.SampleRate/2 {
				return fmt.Errorf("%w: %s part %d: %d Hz is above Nyquist", ErrBadSpec, s.Name, i, f)
			}
			peak += Amplitude(float64(p.Level[j]))
		}
		// Components may all peak together, so their amplitudes must fit
		// in 16 bits as a sum, or the tone would clip.
		if peak > math.MaxInt16 {
			return fmt.Errorf("%w: %s part %d: components sum to peak %.0f, clipping", ErrBadSpec, s.Name, i, peak)
		}
	}
	return nil
}

// Plan is one country's tones and ringing.
type Plan struct {
	Country string          // "us", "uk", "de"
	Tones   map[Name]Spec   // every tone the country has
	Ring    []time.Duration // ring cadence: on, off, on, off… repeating
	RingHz  int             // ringing frequency
}

// Tone returns the named tone of the plan.
func (p *Plan) Tone(n Name) (Spec, bool) {
	s, ok := p.Tones[n]
	return s, ok
}
