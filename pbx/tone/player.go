package tone

import (
	"math"

	"github.com/hookswitch/hookswitch/hal"
)

// osc is one sine oscillator: a unit phasor (c, s) turned by (cw, sw) each
// sample. A rotation needs no trigonometry per sample and keeps the phase
// exact across frames; the phasor is renormalised once a frame.
type osc struct {
	freq   uint16
	amp    float64
	c, s   float64
	cw, sw float64
}

// Player synthesises one tone frame by frame. The phase of every frequency
// runs on across frames and across parts that keep the frequency, so the
// waveform has no discontinuity other than the tone's own on/off edges;
// a frequency that starts afresh starts at phase 0 (a zero sample). Part
// boundaries fall on the exact sample, whatever the frame grid. A Player
// allocates nothing after Play. It is not safe for concurrent use: the
// line's media tick owns it.
type Player struct {
	spec    Spec
	playing bool
	part    int
	left    int // samples left in the current part; -1 = forever
	osc     [4]osc
	nosc    int
}

// Play starts s from its beginning, replacing whatever was playing.
func (p *Player) Play(s Spec) {
	p.spec = s
	p.nosc = 0
	p.playing = len(s.Parts) > 0
	if p.playing {
		p.enter(0)
	}
}

// Stop silences the player.
func (p *Player) Stop() {
	p.playing = false
	p.nosc = 0
}

// Playing returns the name of the tone being played, or "" when idle or
// when a tone that does not repeat has finished.
func (p *Player) Playing() Name {
	if !p.playing {
		return ""
	}
	return p.spec.Name
}

// enter starts part i, carrying the phase of frequencies that continue.
func (p *Player) enter(i int) {
	p.part = i
	part := p.spec.Parts[i]
	p.left = part.Samples()
	if p.left == 0 {
		p.left = -1
	}
	var next [4]osc
	n := 0
	for j, f := range part.Freqs {
		if f == 0 {
			continue
		}
		o := osc{freq: f, amp: Amplitude(float64(part.Level[j])), c: 1}
		for k := range p.nosc {
			if p.osc[k].freq == f {
				o.c, o.s = p.osc[k].c, p.osc[k].s
				break
			}
		}
		w := 2 * math.Pi * float64(f) / hal.SampleRate
		o.cw, o.sw = math.Cos(w), math.Sin(w)
		next[n] = o
		n++
	}
	p.osc, p.nosc = next, n
}

// advance moves to the part after the current one, or ends the tone.
func (p *Player) advance() {
	i := p.part + 1
	if i == len(p.spec.Parts) {
		if p.spec.Loop >= len(p.spec.Parts) {
			p.Stop()
			return
		}
		i = p.spec.Loop
	}
	p.enter(i)
}

// Fill writes the next 20 ms of the tone into f (silence when idle or
// finished).
func (p *Player) Fill(f *[hal.FrameSamples]int16) {
	i := 0
	for i < len(f) && p.playing {
		n := len(f) - i
		if p.left >= 0 && p.left < n {
			n = p.left
		}
		p.synth(f[i : i+n])
		i += n
		if p.left > 0 {
			p.left -= n
			if p.left == 0 {
				p.advance()
			}
		}
	}
	clear(f[i:])
	for k := range p.nosc {
		o := &p.osc[k]
		// One Newton step towards |phasor| = 1 removes the slow drift of
		// repeated rotation in floating point.
		g := (3 - (o.c*o.c + o.s*o.s)) / 2
		o.c *= g
		o.s *= g
	}
}

// synth writes the current part's samples into out.
func (p *Player) synth(out []int16) {
	oscs := p.osc[:p.nosc]
	for n := range out {
		sum := 0.0
		for k := range oscs {
			o := &oscs[k]
			sum += o.amp * o.s
			o.c, o.s = o.c*o.cw-o.s*o.sw, o.s*o.cw+o.c*o.sw
		}
		out[n] = sat16(sum)
	}
}

// sat16 rounds v to the nearest int16, saturating.
func sat16(v float64) int16 {
	v = math.Round(v)
	switch {
	case v > math.MaxInt16:
		return math.MaxInt16
	case v < math.MinInt16:
		return math.MinInt16
	}
	return int16(v)
}
