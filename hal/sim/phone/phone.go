package phone

import (
	"fmt"
	"sync"
	"time"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/hal/sim/cidrx"
	"github.com/hookswitch/hookswitch/hal/sim/tonerx"
	"github.com/hookswitch/hookswitch/hal/sim/wire"
)

// Options configure a phone. The zero value of a field takes its default.
type Options struct {
	Country    string        // tone plan and caller ID standard the phone is built for: us, uk, de
	Flash      time.Duration // hook-flash break; default 100 ms for uk/de (timed-break recall), 600 ms for us
	PulseBreak time.Duration // rotary break per pulse; default 60 ms (10 pps, 60/40)
	PulseMake  time.Duration // rotary make between pulses; default 40 ms
	PulsePause time.Duration // make between digits; default 700 ms
	ToneOn     time.Duration // DTMF tone length; default 80 ms
	ToneOff    time.Duration // DTMF gap; default 80 ms
	Record     time.Duration // how much earpiece audio is kept; default 120 s
	AckDelay   time.Duration // from the onset of a caller-ID alert heard off-hook to the DTMF acknowledgement; default 100 ms
}

func (o *Options) defaults() {
	if o.Country == "" {
		o.Country = "us"
	}
	if o.Flash == 0 {
		o.Flash = 600 * time.Millisecond
		if o.Country != "us" {
			o.Flash = 100 * time.Millisecond
		}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.PulseBreak, 60*time.Millisecond)
	def(&o.PulseMake, 40*time.Millisecond)
	def(&o.PulsePause, 700*time.Millisecond)
	def(&o.ToneOn, 80*time.Millisecond)
	def(&o.ToneOff, 80*time.Millisecond)
	def(&o.Record, 120*time.Second)
	def(&o.AckDelay, 100*time.Millisecond)
}

// ringHold is how long after the last ring burst the phone still counts as
// ringing before it has measured a silent interval: longer than any
// country's (4 s). Once it has, it waits that long plus ringSlack.
const (
	ringHold  = 6 * time.Second
	ringSlack = time.Second
)

// CallerID is what the phone's display shows.
type CallerID struct {
	Number string    `json:"number"`
	Name   string    `json:"name"`
	Time   string    `json:"time"` // "MM-DD HH:MM" as sent by the exchange
	At     time.Time `json:"-"`    // when the message was received
}

// Status is what a person looking at the phone (and listening) would know.
type Status struct {
	Hook     string          `json:"hook"` // "on" or "off"
	Ringing  bool            `json:"ringing"`
	Lamp     bool            `json:"lamp"`
	Heard    string          `json:"heard"`
	CallerID *CallerID       `json:"callerid"`
	Cadence  []time.Duration `json:"-"` // last measured ring cadence: on, off, on, off…
	Polarity string          `json:"polarity"`
}

type transition struct {
	at     time.Time
	closed bool
}

type key struct {
	start, end time.Time
	digit      byte
}

// Phone is one simulated analog telephone on a wire. Its methods are safe for
// concurrent use; Step is called by the board once per frame.
type Phone struct {
	opts Options
	w    *wire.Wire

	mu      sync.Mutex
	now     time.Time // start of the next frame
	offHook bool      // hook switch as the user left it (after queued transitions)
	dialed  bool      // digits or a flash since the handset was lifted
	busy    time.Time // end of the last queued hook or key action
	hooks   []transition
	keys    []key
	play    []int16

	ear     *tonerx.Recognizer
	cid     *cidrx.Receiver
	lamp    bool
	display *CallerID
	cids    []CallerID

	ringOn      bool
	ringEdge    time.Time
	lastRing    time.Time
	cadence     []time.Duration
	reversed    bool
	reversals   []time.Time
	feed        hal.Feed
	rec         []int16 // ring buffer of earpiece audio
	recPos      int
	recLen      int
	down, up    hal.Frame
	hookChanges []time.Time
}

// New returns an on-hook phone hanging on w. start is the time of the first frame.
func New(w *wire.Wire, start time.Time, opts Options) (*Phone, error) {
	opts.defaults()
	ear, err := tonerx.New(opts.Country)
	if err != nil {
		return nil, fmt.Errorf("phone: %w", err)
	}
	std := cidrx.Bell202
	if opts.Country != "us" {
		std = cidrx.V23
	}
	return &Phone{
		opts: opts,
		w:    w,
		now:  start,
		busy: start,
		ear:  ear,
		cid:  cidrx.New(std),
		rec:  make([]int16, int(opts.Record/time.Second)*hal.SampleRate),
	}, nil
}

// Options returns the phone's settings after defaults.
func (p *Phone) Options() Options { return p.opts }

// start returns when a new action may begin: now, or when queued ones end.
func (p *Phone) start() time.Time {
	if p.busy.After(p.now) {
		return p.busy
	}
	return p.now
}

func (p *Phone) hook(at time.Time, closed bool) {
	p.hooks = append(p.hooks, transition{at, closed})
	p.offHook = closed
	if at.After(p.busy) {
		p.busy = at
	}
}

// OffHook lifts the handset.
func (p *Phone) OffHook() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dialed = false
	p.hook(p.start(), true)
}

// OnHook hangs up.
func (p *Phone) OnHook() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hook(p.start(), false)
}

// Flash breaks the loop for d (the phone's configured flash when d is 0).
func (p *Phone) Flash(d time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.offHook {
		return ErrOnHook
	}
	p.dialed = true
	if d == 0 {
		d = p.opts.Flash
	}
	t := p.start()
	p.hook(t, false)
	p.hook(t.Add(d), true)
	return nil
}

// DialPulse dials digits on the rotary dial: n breaks for digit n, ten for 0.
func (p *Phone) DialPulse(digits string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.offHook {
		return ErrOnHook
	}
	p.dialed = true
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return fmt.Errorf("%w: %q", ErrBadDigit, digits[i])
		}
	}
	t := p.start()
	for i := 0; i < len(digits); i++ {
		n := int(digits[i] - '0')
		if n == 0 {
			n = 10
		}
		for range n {
			p.hook(t, false)
			t = t.Add(p.opts.PulseBreak)
			p.hook(t, true)
			t = t.Add(p.opts.PulseMake)
		}
		t = t.Add(p.opts.PulsePause - p.opts.PulseMake)
	}
	p.busy = t
	return nil
}

// DialDTMF keys digits as DTMF tones into the mouthpiece.
func (p *Phone) DialDTMF(digits string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.offHook {
		return ErrOnHook
	}
	p.dialed = true
	for i := 0; i < len(digits); i++ {
		if _, ok := keypad[digits[i]]; !ok {
			return fmt.Errorf("%w: %q", ErrBadDigit, digits[i])
		}
	}
	t := p.start()
	for i := 0; i < len(digits); i++ {
		end := t.Add(p.opts.ToneOn)
		p.keys = append(p.keys, key{t, end, digits[i]})
		t = end.Add(p.opts.ToneOff)
	}
	p.busy = t
	return nil
}

// Play queues 8 kHz samples for the mouthpiece; they are sent while off-hook.
func (p *Phone) Play(samples []int16) {
	p.mu.Lock()
	p.play = append(p.play, samples...)
	p.mu.Unlock()
}

// Idle reports whether every queued hook, key and audio action is done.
func (p *Phone) Idle() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.hooks) == 0 && len(p.keys) == 0 && len(p.play) == 0 && !p.busy.After(p.now)
}

// Status returns what the phone shows and hears now.
func (p *Phone) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Status{Hook: "on", Lamp: p.lamp, Heard: "silence", Polarity: "forward"}
	closed := p.w.Loop()
	if closed {
		s.Hook = "off"
		s.Heard = string(p.ear.Heard())
		// A person who has just lifted the handset and hears a steady tone
		// knows it is dial tone (stutter, with the lamp lit) before its
		// cadence could prove it: name it by context while it may be.
		if s.Heard == "unknown" && !p.dialed {
			switch {
			case p.lamp && p.ear.Possible("stutter"):
				s.Heard = "stutter"
			case p.ear.Possible("dialtone"):
				s.Heard = "dialtone"
			}
		}
		// Call waiting is recognised after its burst, over the call's own
		// audio (or the caller ID that follows it): report it while its
		// repetition is still expected.
		for _, h := range p.ear.History() {
			if h.Tone == tonerx.Name("callwaiting") && h.End.IsZero() {
				s.Heard = "callwaiting"
			}
		}
	}
	s.Ringing = !closed && !p.lastRing.IsZero() && (p.ringOn || p.now.Sub(p.lastRing) < p.ringGap())
	if p.display != nil {
		c := *p.display
		s.CallerID = &c
	}
	s.Cadence = append([]time.Duration(nil), p.cadence...)
	if p.reversed {
		s.Polarity = "reverse"
	}
	return s
}

// Tones returns every call-progress tone heard while off-hook, in order.
func (p *Phone) Tones() []tonerx.Heard {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ear.History()
}

// CallerIDs returns every caller ID received, in order.
func (p *Phone) CallerIDs() []CallerID {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]CallerID(nil), p.cids...)
}

// CIDErrors counts FSK messages the phone rejected (bad checksum or framing).
func (p *Phone) CIDErrors() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cid.Errors()
}

// HookChanges returns the times the loop changed, in order.
func (p *Phone) HookChanges() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.hookChanges...)
}

// Reversals returns the times the line polarity changed, in order.
func (p *Phone) Reversals() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.reversals...)
}

// Recording returns the last d of earpiece audio (on-hook transmission
// included), oldest sample first.
func (p *Phone) Recording(d time.Duration) []int16 {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := int(d / (time.Second / hal.SampleRate))
	if n > p.recLen {
		n = p.recLen
	}
	out := make([]int16, n)
	start := p.recPos - n
	if start < 0 {
		start += len(p.rec)
	}
	for i := range out {
		out[i] = p.rec[(start+i)%len(p.rec)]
	}
	return out
}

// Step runs the phone through the frame starting at t: hook transitions due
// in it reach the wire at their exact times, the earpiece hears the frame the
// exchange sent, and the mouthpiece puts this frame's audio on the wire.
func (p *Phone) Step(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.now = t
	end := t.Add(hal.FrameDuration)

	for len(p.hooks) > 0 && p.hooks[0].at.Before(end) {
		h := p.hooks[0]
		p.hooks = p.hooks[1:]
		at := h.at
		if at.Before(t) {
			at = t
		}
		if p.w.Loop() != h.closed {
			p.hookChanges = append(p.hookChanges, at)
		}
		p.w.SetLoop(h.closed, at)
	}
	p.line(t)

	p.w.Listen(&p.down)
	p.record(&p.down)
	p.cid.Feed((*[hal.FrameSamples]int16)(&p.down), t)
	p.readCID()
	if p.w.Loop() {
		p.ear.Feed((*[hal.FrameSamples]int16)(&p.down), t)
	}

	p.mouth(t)
	p.w.Talk(&p.up)
	p.now = end
}

// ringGap is how long a silence between rings may last: the longest one
// measured in this call's cadence, or ringHold before one was.
func (p *Phone) ringGap() time.Duration {
	var gap time.Duration
	for i := 1; i < len(p.cadence); i += 2 {
		gap = max(gap, p.cadence[i]+ringSlack)
	}
	if gap == 0 {
		return ringHold
	}
	return gap
}

// line watches the line voltage: ringing bursts and polarity.
func (p *Phone) line(t time.Time) {
	f := p.w.Feed()
	ring := f == hal.FeedRinging
	if ring != p.ringOn {
		if !p.ringEdge.IsZero() {
			if ring && t.Sub(p.ringEdge) > ringHold {
				p.cadence = p.cadence[:0] // a new call's ringing
			} else {
				p.cadence = append(p.cadence, t.Sub(p.ringEdge))
			}
		}
		if ring && t.Sub(p.lastRing) > ringHold && (p.display == nil || t.Sub(p.display.At) > ringHold) {
			p.display = nil // a new call: clear a stale display, keep one sent just before the ring (UK)
		}
		p.ringOn, p.ringEdge = ring, t
	}
	if ring {
		p.lastRing = t.Add(hal.FrameDuration)
	}
	switch f {
	case hal.FeedForward, hal.FeedOHT, hal.FeedReverse, hal.FeedReverseOHT:
		rev := f == hal.FeedReverse || f == hal.FeedReverseOHT
		if rev != p.reversed {
			p.reversed = rev
			p.reversals = append(p.reversals, t)
		}
	}
	p.feed = f
}

func (p *Phone) readCID() {
	// An off-hook phone answers the CPE alerting signal with a DTMF digit so
	// the exchange sends caller ID for a waiting call (GR-30-CORE: A; ETSI
	// EN 300 659-1 and BT SIN 227: D). On-hook alerts (BT, ETSI) need none.
	for _, at := range p.cid.Alerts() {
		if !p.w.Loop() {
			continue
		}
		start := at.Add(p.opts.AckDelay)
		if start.Before(p.now) {
			start = p.now
		}
		ack := byte('D')
		if p.opts.Country == "us" {
			ack = 'A'
		}
		p.keys = append(p.keys, key{start, start.Add(65 * time.Millisecond), ack})
	}
	for _, m := range p.cid.Messages() {
		if m.MWI != nil {
			p.lamp = *m.MWI
			continue
		}
		c := CallerID{Number: m.Number, Name: m.Name, At: m.At}
		if m.NumberAbsent != 0 {
			c.Number = string(m.NumberAbsent)
		}
		if m.NameAbsent != 0 && c.Name == "" {
			c.Name = string(m.NameAbsent)
		}
		if d := m.Date; len(d) == 8 {
			c.Time = d[0:2] + "-" + d[2:4] + " " + d[4:6] + ":" + d[6:8]
		}
		p.display = &c
		p.cids = append(p.cids, c)
	}
}

func (p *Phone) record(f *hal.Frame) {
	for _, s := range f {
		p.rec[p.recPos] = s
		p.recPos = (p.recPos + 1) % len(p.rec)
	}
	p.recLen = min(p.recLen+len(f), len(p.rec))
}

// mouth builds this frame's mouthpiece audio: queued recording plus keys.
func (p *Phone) mouth(t time.Time) {
	p.up = hal.Frame{}
	if !p.w.Loop() {
		p.play = p.play[:0]
		return
	}
	n := copy(p.up[:], p.play)
	p.play = p.play[n:]
	end := t.Add(hal.FrameDuration)
	for len(p.keys) > 0 && !p.keys[0].end.After(t) {
		p.keys = p.keys[1:]
	}
	for _, k := range p.keys {
		if !k.start.Before(end) {
			break
		}
		from := sampleIndex(t, k.start)
		to := sampleIndex(t, k.end)
		from, to = max(from, 0), min(to, hal.FrameSamples)
		keySamples(p.up[from:to], k.digit, sampleIndex(k.start, t)+from)
	}
}

// sampleIndex is the number of samples from a to b.
func sampleIndex(a, b time.Time) int {
	return int(b.Sub(a) / (time.Second / hal.SampleRate))
}
