package jitter

import (
	"math/bits"
	"time"

	"github.com/hookswitch/hookswitch/hal"
)

// Opts tunes a Buffer. Zero fields take the defaults.
type Opts struct {
	// MinDelay is the least margin the buffer keeps. Default 20 ms.
	MinDelay time.Duration
	// MaxDelay caps the margin, and so the added mouth-to-ear delay. Default
	// 300 ms (ITU-T G.114 keeps one-way delay under 400 ms for planning).
	MaxDelay time.Duration
	// InitialDelay is the margin before any jitter is measured. Default 40 ms.
	InitialDelay time.Duration
}

const (
	frame = hal.FrameSamples

	defaultMin     = 20 * time.Millisecond
	defaultMax     = 300 * time.Millisecond
	defaultInitial = 40 * time.Millisecond

	adaptHoldoff  = 5   // pops between two grow/shrink steps (100 ms)
	shrinkPatient = 25  // pops a shrink waits for a quiet frame (500 ms)
	quietLevel    = 300 // mean |sample| under which a frame may be dropped (about -40 dBov)
	jitterFactor  = 3   // target margin = jitterFactor · J
	farPackets    = 3   // consecutive out-of-window packets that force a resync
	floorDecay    = 2   // samples per frame a late packet's demand decays: 12.5 ms/s
	fadeStart     = 80  // G.711 App. I: full level for the first 10 ms of an erasure
	fadeLength    = 400 // ... then -20 % per 10 ms: silent 50 ms later
	crossfade     = 32  // 4 ms overlap when audio resumes
)

// Result says what Push did with a packet.
type Result uint8

// Push results.
const (
	Stored    Result = iota + 1 // in the buffer, to be played
	Late                        // its playout time had passed: dropped
	Duplicate                   // every sample was already there: dropped
	Discarded                   // too far ahead, empty or too long: dropped
	Resynced                    // a timestamp jump: the buffer restarted at this packet
)

// Output says what Pop produced.
type Output uint8

// Pop outputs.
const (
	Idle      Output = iota + 1 // no packet yet: silence
	Played                      // received audio (possibly with a few concealed samples)
	Concealed                   // a missing frame, repeated and fading
	Empty                       // a missing frame after the fade: silence
	Inserted                    // an extra frame to grow the delay (concealment, not loss)
)

// Stats are the buffer's counters since New or Reset.
type Stats struct {
	Stored, Late, Duplicates, Discarded, Resyncs uint64 // packets
	Played, Concealed, Empty, Inserted, Skipped  uint64 // frames
	Jitter                                       time.Duration
	JitterSamples                                uint32 // RFC 3550 A.8 J, in timestamp units
	Target                                       time.Duration
	Delay                                        time.Duration // current mean margin
}

// Buffer is one stream's playout buffer. It is not safe for concurrent use:
// the RTP session serialises Push (reader goroutine) and Pop (media tick).
type Buffer struct {
	ring  []int16
	valid []uint64
	size  uint32 // samples, a power of two
	mask  uint32

	minD, maxD, initD int32

	started   bool
	primed    bool   // a frame with audio has been played since (re)start
	play      uint32 // RTP timestamp of the next sample Pop plays
	pending   int    // valid samples in the ring
	far       int    // consecutive packets outside the window
	haveTrans bool
	transit   int32
	jit       uint32 // J scaled by 16, RFC 3550 A.8
	margin    float64
	lateFloor int32
	since     int // pops since the last grow or shrink
	waited    int // pops a pending shrink has waited

	last       hal.Frame // last good output, the concealment source
	concealPos int32     // samples since the current erasure began; 0 when none

	st Stats
}

// New returns an empty buffer. Its ring holds at least MaxDelay plus four
// frames of samples, rounded up to a power of two (4096 samples, 8 KiB, with
// the defaults).
func New(o Opts) *Buffer {
	if o.MinDelay <= 0 {
		o.MinDelay = defaultMin
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = defaultMax
	}
	o.MaxDelay = max(o.MaxDelay, o.MinDelay)
	if o.InitialDelay <= 0 {
		o.InitialDelay = defaultInitial
	}
	o.InitialDelay = min(max(o.InitialDelay, o.MinDelay), o.MaxDelay)
	b := &Buffer{
		minD:  samples(o.MinDelay),
		maxD:  samples(o.MaxDelay),
		initD: samples(o.InitialDelay),
	}
	need := uint32(b.maxD) + 4*frame
	b.size = 1 << bits.Len32(need-1)
	b.size = max(b.size, 64)
	b.mask = b.size - 1
	b.ring = make([]int16, b.size)
	b.valid = make([]uint64, b.size/64)
	return b
}

func samples(d time.Duration) int32 { return int32(d * hal.SampleRate / time.Second) }

func duration(s int64) time.Duration { return time.Duration(s) * time.Second / hal.SampleRate }

// Capacity is the ring size in samples.
func (b *Buffer) Capacity() int { return int(b.size) }

// Reset empties the buffer and forgets the stream (a new SSRC): the next
// packet starts playout again after InitialDelay. Counters are kept.
func (b *Buffer) Reset() {
	clear(b.valid)
	b.started, b.primed, b.pending, b.far, b.haveTrans, b.jit = false, false, 0, 0, false, 0
	b.lateFloor, b.since, b.waited, b.concealPos = 0, 0, 0, 0
	b.last = hal.Frame{}
}

// Push stores one packet's decoded samples, whose first sample has RTP
// timestamp ts. arrival is the receive time in 8 kHz units on any clock that
// wraps like a uint32 (only differences matter).
func (b *Buffer) Push(ts uint32, arrival uint32, pcm []int16) Result {
	n := len(pcm)
	if n == 0 || uint32(n) > b.size/2 {
		b.st.Discarded++
		return Discarded
	}
	b.measure(ts, arrival)
	if !b.started {
		b.restart(ts)
	}
	m := int32(ts - b.play)
	res := Stored
	switch {
	case m+int32(n) <= 0: // every sample is due already
		// Later than any delay we would keep, several times running: the
		// sender's timestamps went back (or stood still through a pause).
		if -m > b.maxD && b.farOut() {
			b.resync(ts)
			res, m = Resynced, int32(ts-b.play)
			break
		}
		b.st.Late++
		b.lateFloor = max(b.lateFloor, min(int32(b.margin)-m, b.maxD))
		return Late
	case m+int32(n) > int32(b.size):
		if b.pending == 0 || b.farOut() {
			b.resync(ts)
			res, m = Resynced, int32(ts-b.play)
			break
		}
		b.st.Discarded++
		return Discarded
	case m > b.maxD+2*frame && b.pending == 0:
		// Ahead of any sane delay with nothing queued: the sender's clock jumped.
		b.resync(ts)
		res, m = Resynced, int32(ts-b.play)
	}
	b.far = 0
	if m < 0 { // partly late: keep the tail
		b.st.Late++
		pcm, ts, m = pcm[-m:], b.play, 0
		n = len(pcm)
	}
	pos := ts & b.mask
	if b.count(pos, n) == n {
		b.st.Duplicates++
		return Duplicate
	}
	k := copy(b.ring[pos:], pcm)
	copy(b.ring, pcm[k:])
	b.pending += b.set(pos, n)
	b.margin += (float64(m) - b.margin) / 16
	b.st.Stored++
	return res
}

// farOut counts one more out-of-window packet and reports whether enough
// came in a row to believe the jump.
func (b *Buffer) farOut() bool {
	b.far++
	return b.far >= farPackets
}

// measure updates J as RFC 3550 A.8 does: J += (|D| - J)/16, kept scaled by 16.
func (b *Buffer) measure(ts, arrival uint32) {
	transit := int32(arrival - ts)
	if b.haveTrans {
		d := transit - b.transit
		if d < 0 {
			d = -d
		}
		b.jit += uint32(d) - ((b.jit + 8) >> 4)
	}
	b.transit, b.haveTrans = transit, true
}

func (b *Buffer) restart(ts uint32) {
	b.started, b.primed = true, false
	b.play = ts - uint32(b.initD)
	b.margin = float64(b.initD)
}

func (b *Buffer) resync(ts uint32) {
	clear(b.valid)
	b.pending, b.far, b.lateFloor = 0, 0, 0
	b.haveTrans = false // the transit time jumped with the timestamps
	b.st.Resyncs++
	b.restart(ts)
}

// target is the margin the buffer steers to, in samples.
func (b *Buffer) target() int32 {
	t := max(jitterFactor*int32(b.jit>>4), b.lateFloor)
	return min(max(t, b.minD), b.maxD)
}

// Pop writes the next 20 ms of playout into f.
func (b *Buffer) Pop(f *hal.Frame) Output {
	if !b.started {
		*f = hal.Frame{}
		return Idle
	}
	if b.lateFloor > 0 {
		b.lateFloor = max(b.lateFloor-floorDecay, 0)
	}
	b.since++
	if b.since >= adaptHoldoff {
		t := b.target()
		switch {
		case b.margin < float64(t):
			b.conceal(f, 0, frame)
			b.margin += frame
			b.since = 0
			b.st.Inserted++
			return Inserted
		case b.margin > float64(t+frame+frame/2):
			pos := b.play & b.mask
			if b.waited >= shrinkPatient || b.count(pos, frame) == 0 || b.quiet(pos) {
				b.pending -= b.clear(pos, frame)
				b.play += frame
				b.margin -= frame
				b.since, b.waited = 0, 0
				b.st.Skipped++
			} else {
				b.waited++
			}
		default:
			b.waited = 0
		}
	}
	pos := b.play & b.mask
	have := b.count(pos, frame)
	if !b.primed && have == 0 { // the lead-in of InitialDelay before the first packet
		*f = hal.Frame{}
		b.play += frame
		return Idle
	}
	b.primed = true
	out := Played
	switch {
	case have == frame:
		b.read(f, pos)
		if b.concealPos > 0 {
			b.fadeIn(f)
		}
		b.last, b.concealPos = *f, 0
	case have == 0:
		if b.concealPos >= fadeStart+fadeLength {
			*f = hal.Frame{}
			out = Empty
		} else {
			b.conceal(f, 0, frame)
			out = Concealed
		}
		b.concealPos += frame
	default: // some samples: play them, conceal the holes
		b.read(f, pos)
		for i := 0; i < frame; {
			j := i
			for j < frame && !b.bit((pos+uint32(j))&b.mask) {
				j++
			}
			if j > i {
				b.conceal(f, i, j)
			}
			for j < frame && b.bit((pos+uint32(j))&b.mask) {
				j++
			}
			i = j
		}
		b.last, b.concealPos = *f, 0
	}
	b.pending -= b.clear(pos, frame)
	b.play += frame
	switch out {
	case Played:
		b.st.Played++
	case Concealed:
		b.st.Concealed++
	case Empty:
		b.st.Empty++
	}
	return out
}

// conceal fills f[from:to] from the last good frame at the fading level for
// the current erasure position (it does not advance concealPos).
func (b *Buffer) conceal(f *hal.Frame, from, to int) {
	for i := from; i < to; i++ {
		f[i] = int16(int32(b.last[i]) * gain(b.concealPos+int32(i)) >> 15)
	}
}

// gain is the concealment level (1.0 = 32768) a given number of samples into
// an erasure, per the G.711 Appendix I fade.
func gain(c int32) int32 {
	switch {
	case c < fadeStart:
		return 1 << 15
	case c >= fadeStart+fadeLength:
		return 0
	}
	return (1 << 15) - (c-fadeStart)*(1<<15)/fadeLength
}

// fadeIn cross-fades the start of a good frame with the continuing
// concealment so that audio resumes without a click.
func (b *Buffer) fadeIn(f *hal.Frame) {
	for i := range crossfade {
		c := int32(b.last[i]) * gain(b.concealPos+int32(i)) >> 15
		f[i] = int16((int32(f[i])*int32(i) + c*int32(crossfade-i)) / crossfade)
	}
}

func (b *Buffer) read(f *hal.Frame, pos uint32) {
	k := copy(f[:], b.ring[pos:])
	copy(f[k:], b.ring)
}

func (b *Buffer) quiet(pos uint32) bool {
	var sum int32
	for i := range uint32(frame) {
		p := (pos + i) & b.mask
		if !b.bit(p) {
			continue
		}
		s := int32(b.ring[p])
		if s < 0 {
			s = -s
		}
		sum += s
	}
	return sum < quietLevel*frame
}

func (b *Buffer) bit(p uint32) bool { return b.valid[p>>6]&(1<<(p&63)) != 0 }

func (b *Buffer) count(pos uint32, n int) int {
	c := 0
	for n > 0 {
		off := pos & 63
		k := min(uint32(n), 64-off)
		c += bits.OnesCount64(b.valid[pos>>6] & (^uint64(0) >> (64 - k) << off))
		n -= int(k)
		pos = (pos + k) & b.mask
	}
	return c
}

func (b *Buffer) set(pos uint32, n int) int {
	added := 0
	for n > 0 {
		off := pos & 63
		k := min(uint32(n), 64-off)
		m := ^uint64(0) >> (64 - k) << off
		w := &b.valid[pos>>6]
		added += bits.OnesCount64(m &^ *w)
		*w |= m
		n -= int(k)
		pos = (pos + k) & b.mask
	}
	return added
}

func (b *Buffer) clear(pos uint32, n int) int {
	removed := 0
	for n > 0 {
		off := pos & 63
		k := min(uint32(n), 64-off)
		m := ^uint64(0) >> (64 - k) << off
		w := &b.valid[pos>>6]
		removed += bits.OnesCount64(m & *w)
		*w &^= m
		n -= int(k)
		pos = (pos + k) & b.mask
	}
	return removed
}

// Jitter returns the RFC 3550 A.8 interarrival jitter in timestamp units, as
// an RTCP report block carries it.
func (b *Buffer) Jitter() uint32 { return b.jit >> 4 }

// Stats returns the counters and current estimates.
func (b *Buffer) Stats() Stats {
	s := b.st
	s.JitterSamples = b.jit >> 4
	s.Jitter = duration(int64(s.JitterSamples))
	s.Target = duration(int64(b.target()))
	s.Delay = duration(int64(b.margin))
	return s
}
