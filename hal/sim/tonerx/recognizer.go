package tonerx

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/hookswitch/hookswitch/hal"
)

// Heard is one occurrence of a tone (or of voice) in the history.
type Heard struct {
	Tone  Name
	Start time.Time // onset of the first burst, to the sample where the onset is clean
	End   time.Time // end of the last burst; zero while ongoing
}

// maxHyps bounds the candidate cadences followed at once.
const maxHyps = 48

// hyp is one candidate explanation: "this is tone pat, now at step".
type hyp struct {
	pat       int
	step      int
	stepStart time.Time
	start     time.Time    // onset of the occurrence
	lastOnEnd time.Time    // end of the last completed burst
	closedOn  int          // bursts completed
	onEnds    [8]time.Time // ends of the last bursts, ring indexed by closedOn
	skipMin   bool         // the first step began before Reset: its length is unknown
	done      bool         // a tone that ends has been heard completely
}

// Recognizer is the phone's ear. Feed it every frame the phone receives;
// ask Heard and History. It allocates nothing per frame (History grows, on
// the rare frame that records an occurrence). Not safe for concurrent use.
type Recognizer struct {
	freqs []float64
	sigs  []sigFit
	pats  []pattern

	// Per-frequency tables over one block, and block-to-window rotations.
	cos, sin [][blockLen]float64
	rot      [][winBlocks]complex128

	// Analysis ring: per block, its energy, whether it sounded, and its
	// partial DFT at each frequency.
	part    [][winBlocks]complex128
	energy  [winBlocks]float64
	on      [winBlocks]bool
	head    int // oldest slot
	nblocks int
	x       []complex128 // window DFT per frequency (scratch)

	prev      [blockLen]int16 // the last block, to place an offset
	prevStart time.Time
	fresh     bool      // the next block is the first after Reset
	truncAt   time.Time // onset of a sound already on at Reset

	// Label stream.
	lbl       int
	lblStart  time.Time
	cand      int
	candN     int
	candAt    time.Time
	pendTried int
	now       time.Time

	// Cadence matching.
	hyps    [maxHyps]hyp
	nh      int
	occ     hyp // the recognised tone being heard
	occOn   bool
	occHist int
	// A tone that stopped matching may have taken the first bursts of
	// the tone that replaced it; when that one is confirmed, the old
	// occurrence is cut back to its last burst before the new Start.
	prevOcc   hyp
	prevHist  int
	prevValid bool

	history      []Heard
	voiceOpen    int // index in history of the voice occurrence still open, or -1
	lastVoiceEnd time.Time
	heardVoice   bool
}

// Silence thresholds in sample units: the energy of a 10 ms block, and
// the peak, of a sine at silenceDBm0 (10^(-35/10) and 10^(-35/20)).
const (
	energyThreshold = refPeak * refPeak / 2 * 3.1622776601683795e-4 * blockLen
	ampThreshold    = refPeak * 0.01778279410038923
)

// countries returns the countries with a table, sorted.
func countries() []string {
	var cs []string
	for c := range tables() {
		cs = append(cs, c)
	}
	sort.Strings(cs)
	return cs
}

// New returns a recogniser for country's tones ("us", "uk", "de").
func New(country string) (*Recognizer, error) {
	cads, ok := tables()[strings.ToLower(country)]
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownCountry, country, strings.Join(countries(), ", "))
	}
	r := &Recognizer{history: make([]Heard, 0, 32)}
	r.freqs, r.sigs, r.pats = build(cads)
	k := len(r.freqs)
	r.cos = make([][blockLen]float64, k)
	r.sin = make([][blockLen]float64, k)
	r.rot = make([][winBlocks]complex128, k)
	r.part = make([][winBlocks]complex128, k)
	r.x = make([]complex128, k)
	for i, f := range r.freqs {
		w := 2 * math.Pi * f / hal.SampleRate
		for n := range blockLen {
			r.cos[i][n], r.sin[i][n] = math.Cos(w*float64(n)), math.Sin(w*float64(n))
		}
		for b := range winBlocks {
			ph := -w * blockLen * float64(b)
			r.rot[i][b] = complex(math.Cos(ph), math.Sin(ph))
		}
	}
	r.Reset()
	return r, nil
}

// Reset forgets everything heard, as if the phone had just been put to the
// line. A sound already playing at the next Feed is taken as begun then.
func (r *Recognizer) Reset() {
	clear(r.part)
	r.energy, r.on = [winBlocks]float64{}, [winBlocks]bool{}
	r.head, r.nblocks = 0, 0
	r.fresh = true
	r.truncAt = time.Time{}
	r.lbl, r.lblStart = lblOff, time.Time{}
	r.cand, r.candN, r.pendTried = lblNone, 0, 0
	r.nh, r.occOn, r.prevValid = 0, false, false
	r.history = r.history[:0]
	r.voiceOpen = -1
	r.heardVoice = false
}

// Heard returns what is heard now.
func (r *Recognizer) Heard() Name {
	if r.lbl == lblVoice {
		return Voice
	}
	if r.occOn && !r.occInGap() {
		return r.pats[r.occ.pat].name
	}
	if r.heardVoice && r.lbl < 0 && r.now.Sub(r.lastVoiceEnd) < 250*time.Millisecond {
		return Voice // a pause between words
	}
	if r.lbl == lblOff {
		return Silence
	}
	return Unknown
}

// Possible reports whether name is one of the tones the sound heard now may
// still turn out to be: before its cadence has told them apart, a continuous
// 425 Hz could be dial tone, busy or ringback.
func (r *Recognizer) Possible(name Name) bool {
	for i := range r.nh {
		if r.pats[r.hyps[i].pat].name == name {
			return true
		}
	}
	return false
}

// History returns the occurrences heard so far, in order of Start.
func (r *Recognizer) History() []Heard { return append([]Heard(nil), r.history...) }

// occInGap reports whether the current tone is a call-waiting tone between
// bursts, where what is heard is the call, not the tone.
func (r *Recognizer) occInGap() bool {
	p := &r.pats[r.occ.pat]
	return p.inCall && p.steps[r.occ.step].sig < 0
}

// Feed takes the next frame; at is the time of its first sample.
func (r *Recognizer) Feed(f *[hal.FrameSamples]int16, at time.Time) {
	for b := 0; b < hal.FrameSamples/blockLen; b++ {
		r.block(f[b*blockLen:(b+1)*blockLen], at.Add(time.Duration(b)*blockDur))
	}
}

// block analyses one 10 ms block starting at t.
func (r *Recognizer) block(x []int16, t time.Time) {
	slot := r.head
	r.head = (r.head + 1) % winBlocks
	r.nblocks++
	e := 0.0
	for _, v := range x {
		e += float64(v) * float64(v)
	}
	r.energy[slot] = e
	r.on[slot] = e >= energyThreshold
	for i := range r.freqs {
		var re, im float64
		c, s := &r.cos[i], &r.sin[i]
		for n, v := range x {
			fv := float64(v)
			re += fv * c[n]
			im -= fv * s[n]
		}
		r.part[i][slot] = complex(re, im)
	}

	raw := lblOff
	if r.on[slot] {
		raw = lblPending
		if r.nblocks >= winBlocks && r.on == [winBlocks]bool{true, true, true, true} {
			raw = r.classify()
		}
	}
	r.now = t.Add(blockDur)
	r.labelBlock(raw, x, t)
	r.fresh = false
	copy(r.prev[:], x)
	r.prevStart = t
	r.tick()
}

// classify returns the signature the window fits, or lblVoice.
func (r *Recognizer) classify() int {
	total := 0.0
	for _, e := range r.energy {
		total += e
	}
	for i := range r.freqs {
		var x complex128
		for b := range winBlocks {
			x += r.part[i][(r.head+b)%winBlocks] * r.rot[i][b]
		}
		r.x[i] = x
	}
	best, bestFrac := lblVoice, 0.0
	for si := range r.sigs {
		s := &r.sigs[si]
		n := 2 * len(s.freq)
		var bv, a [2 * maxSig]float64
		for i, fi := range s.freq {
			bv[2*i], bv[2*i+1] = real(r.x[fi]), -imag(r.x[fi])
		}
		explained := 0.0
		for i := range n {
			for j := range n {
				a[i] += s.ginv[i*n+j] * bv[j]
			}
			explained += a[i] * bv[i]
		}
		frac := explained / total
		if frac < explainFrac || frac <= bestFrac {
			continue
		}
		amax, amin := 0.0, math.Inf(1)
		for i := range len(s.freq) {
			amp := math.Hypot(a[2*i], a[2*i+1])
			amax, amin = max(amax, amp), min(amin, amp)
		}
		if amin < presence*amax {
			continue
		}
		best, bestFrac = si, frac
	}
	return best
}

// onset places the start of a sound in block x at t to the sample.
func (r *Recognizer) onset(x []int16, t time.Time) time.Time {
	if r.fresh {
		r.truncAt = t // it was already sounding
		return t
	}
	for i, v := range x {
		if math.Abs(float64(v)) >= ampThreshold {
			return t.Add(time.Duration(i) * sampleDur)
		}
	}
	return t
}

// offset places the end of a sound that stopped before block t.
func (r *Recognizer) offset(t time.Time) time.Time {
	for i := blockLen - 1; i >= 0; i-- {
		if math.Abs(float64(r.prev[i])) >= ampThreshold {
			end := r.prevStart.Add(time.Duration(i+1) * sampleDur)
			if end.After(r.lblStart) {
				return end
			}
			break
		}
	}
	return t
}

// backdate is how long before the block that first shows signature to a
// change from signature from happened, as seen through the 40 ms window.
// An unrelated signature is accepted once it fills ~35 ms of the window;
// a superset as soon as its extra frequency reaches the presence level
// (~15 ms); a subset once the dropped frequency falls below it (~28 ms).
func (r *Recognizer) backdate(from, to int) time.Duration {
	if from < 0 || to < 0 {
		return 25 * time.Millisecond
	}
	switch a, b := r.sigs[from].freq, r.sigs[to].freq; {
	case subset(a, b):
		return 8 * time.Millisecond
	case subset(b, a):
		return 18 * time.Millisecond
	}
	return 25 * time.Millisecond
}

// subset reports whether every frequency index of a is in b.
func subset(a, b []int) bool {
next:
	for _, x := range a {
		for _, y := range b {
			if x == y {
				continue next
			}
		}
		return false
	}
	return true
}

// labelBlock turns the raw block labels into a debounced label stream.
func (r *Recognizer) labelBlock(raw int, x []int16, t time.Time) {
	switch {
	case raw == lblOff:
		r.cand, r.candN = lblNone, 0
		if r.lbl != lblOff {
			r.change(lblOff, r.offset(t))
		}
	case raw == lblPending:
		if r.lbl == lblOff {
			r.cand, r.candN, r.pendTried = lblNone, 0, 0
			r.change(lblPending, r.onset(x, t))
		}
	case r.lbl == lblPending:
		// An onset is resolved when two windows agree on what it is.
		if raw == r.cand {
			r.candN++
		} else {
			r.cand, r.candN = raw, 1
		}
		r.pendTried++
		switch {
		case r.candN >= 2:
			r.change(raw, r.lblStart)
		case r.pendTried >= 6:
			r.change(lblVoice, r.lblStart)
		}
	case raw == r.lbl:
		r.cand, r.candN = lblNone, 0
	default:
		if raw == r.cand {
			r.candN++
		} else {
			r.cand, r.candN, r.candAt = raw, 1, t
		}
		need, back := 2, r.backdate(r.lbl, raw)
		if raw == lblVoice {
			// Windows straddling a change of signature fit neither side;
			// only a longer run is voice.
			need, back = 6, 0
		}
		if r.candN >= need {
			at := r.candAt.Add(-back)
			if !at.After(r.lblStart) {
				at = r.lblStart.Add(sampleDur)
			}
			r.change(raw, at)
		}
	}
}

// change moves the label stream to lbl from time at, and lets the matcher
// and the voice history see it.
func (r *Recognizer) change(lbl int, at time.Time) {
	old := r.lbl
	r.lbl, r.lblStart = lbl, at
	r.cand, r.candN = lblNone, 0
	if old == lblVoice {
		r.lastVoiceEnd = at
	}
	if lbl == lblVoice {
		r.voiceBegins(at)
	}
	r.observe(lbl, at)
}

// voiceBegins opens a voice occurrence, or continues one that paused less
// than a second ago.
func (r *Recognizer) voiceBegins(at time.Time) {
	r.heardVoice = true
	if r.voiceOpen >= 0 {
		return
	}
	r.voiceOpen = r.record(Heard{Tone: Voice, Start: at})
}

// record inserts h into the history in order of Start and returns its index.
func (r *Recognizer) record(h Heard) int {
	r.history = append(r.history, h)
	i := len(r.history) - 1
	for i > 0 && r.history[i-1].Start.After(h.Start) {
		r.history[i] = r.history[i-1]
		if r.voiceOpen == i-1 {
			r.voiceOpen = i
		}
		if r.occOn && r.occHist == i-1 {
			r.occHist = i
		}
		if r.prevValid && r.prevHist == i-1 {
			r.prevHist = i
		}
		i--
	}
	r.history[i] = h
	return i
}

// Outcomes of advancing a hypothesis.
const (
	alive = iota
	dead
	finished
)

// advance applies a label change at time at to h.
func (r *Recognizer) advance(h *hyp, lbl int, at time.Time) int {
	p := &r.pats[h.pat]
	st := p.steps[h.step]
	if accepts(p, st, lbl) {
		return alive
	}
	d := at.Sub(h.stepStart)
	if (!h.skipMin && d < st.min) || (st.max > 0 && d > st.max) {
		return dead
	}
	h.skipMin = false
	if st.sig >= 0 {
		h.onEnds[h.closedOn%len(h.onEnds)] = at
		h.closedOn++
		h.lastOnEnd = at
		if st.max == 0 {
			h.done = true // a continuous tone that stopped: complete
			return finished
		}
	}
	next := h.step + 1
	if next == len(p.steps) {
		if p.loop == len(p.steps) {
			h.done = true
			return finished
		}
		next = p.loop
	}
	h.step, h.stepStart = next, at
	if !accepts(p, p.steps[next], lbl) {
		return dead
	}
	return alive
}

// accepts reports whether label lbl continues step st of p.
func accepts(p *pattern, st step, lbl int) bool {
	switch {
	case st.sig >= 0:
		return lbl == st.sig || lbl == lblPending
	case p.inCall:
		return lbl < 0 || p.onSig&(1<<lbl) == 0
	}
	return lbl == lblOff
}

// observe runs the matcher on a label change.
func (r *Recognizer) observe(lbl int, at time.Time) {
	if r.occOn {
		if res := r.advance(&r.occ, lbl, at); res != alive {
			r.endOcc(res == finished)
		}
	}
	for i := 0; i < r.nh; {
		h := &r.hyps[i]
		p := &r.pats[h.pat]
		switch {
		case h.done && lbl >= 0 && p.onSig&(1<<lbl) != 0 && at.Sub(h.lastOnEnd) < p.guard:
			// More of the same sound: the tone had not finished.
		case h.done || r.advance(h, lbl, at) != dead:
			i++
			continue
		}
		r.drop(i)
	}
	if lbl >= 0 {
		r.spawn(lbl, at)
	}
	r.confirm()
}

// drop removes hypothesis i.
func (r *Recognizer) drop(i int) {
	r.nh--
	r.hyps[i] = r.hyps[r.nh]
}

// spawn starts a candidate for every tone that can begin (or be joined)
// with signature sig at time at.
func (r *Recognizer) spawn(sig int, at time.Time) {
	for pi := range r.pats {
		p := &r.pats[pi]
	entries:
		for _, e := range p.entries {
			if p.steps[e].sig != sig {
				continue
			}
			if r.occOn && r.occ.pat == pi && r.occ.step == e {
				continue
			}
			for i := range r.nh {
				if h := &r.hyps[i]; h.pat == pi && h.step == e && !h.done {
					continue entries
				}
			}
			if r.nh == maxHyps {
				return
			}
			r.hyps[r.nh] = hyp{pat: pi, step: e, stepStart: at, start: at, skipMin: at.Equal(r.truncAt)}
			r.nh++
		}
	}
}

// tick checks running steps against their longest duration, closes voice
// that has gone quiet, and confirms what has become certain.
func (r *Recognizer) tick() {
	limit := func(h *hyp) bool {
		st := r.pats[h.pat].steps[h.step]
		return !h.done && st.max > 0 && r.now.Sub(h.stepStart) > st.max+lag
	}
	if r.occOn && limit(&r.occ) {
		// Silence longer than the gap: the tone stopped, complete. A
		// burst too long: something else is sounding.
		r.endOcc(r.pats[r.occ.pat].steps[r.occ.step].sig < 0)
	}
	for i := 0; i < r.nh; {
		if limit(&r.hyps[i]) {
			r.drop(i)
			continue
		}
		i++
	}
	if r.voiceOpen >= 0 && r.lbl != lblVoice && r.now.Sub(r.lastVoiceEnd) >= time.Second {
		r.closeVoice()
	}
	r.confirm()
}

// splitVoice ends a voice occurrence that began before a tone starting at
// start, and opens a new one if voice has resumed since.
func (r *Recognizer) splitVoice(start time.Time) {
	if r.voiceOpen < 0 || !r.history[r.voiceOpen].Start.Before(start) {
		return
	}
	if r.lbl == lblVoice && r.lblStart.Before(start) {
		return // the voice goes on over the tone's onset: not ours to split
	}
	r.closeVoice()
	if r.lbl == lblVoice {
		r.voiceOpen = r.record(Heard{Tone: Voice, Start: r.lblStart})
	}
}

func (r *Recognizer) closeVoice() {
	r.history[r.voiceOpen].End = r.lastVoiceEnd
	r.voiceOpen = -1
}

// endOcc closes the current tone occurrence at the end of its last burst.
// A tone that finished explains all its sound: candidates that began
// inside it are forgotten. A tone that stopped matching may have been
// replaced by another whose first bursts it took for its own: candidates
// begun inside it stay, and the first confirmed cuts it back.
func (r *Recognizer) endOcc(finished bool) {
	r.occOn = false
	end := r.occ.lastOnEnd
	r.history[r.occHist].End = end
	if finished {
		r.pruneBefore(end)
		return
	}
	r.prevOcc, r.prevHist, r.prevValid = r.occ, r.occHist, true
}

// cutBack ends the previous occurrence at its last burst before start.
func (r *Recognizer) cutBack(start time.Time) {
	if !r.prevValid {
		return
	}
	r.prevValid = false
	h := &r.history[r.prevHist]
	if !h.End.After(start) {
		return
	}
	o := &r.prevOcc
	h.End = h.Start
	for k := range min(o.closedOn, len(o.onEnds)) {
		if e := o.onEnds[k]; !e.After(start) && e.After(h.End) {
			h.End = e
		}
	}
}

// pruneBefore drops candidates that began before t: their sound belongs to
// a tone already recognised.
func (r *Recognizer) pruneBefore(t time.Time) {
	for i := 0; i < r.nh; {
		if r.hyps[i].start.Before(t) {
			r.drop(i)
			continue
		}
		i++
	}
}

// evidence reports whether h has shown enough of its tone to be reported
// once no other tone explains the same onset.
func (r *Recognizer) evidence(h *hyp) bool {
	if h.done {
		return r.now.Sub(h.lastOnEnd) >= r.pats[h.pat].guard
	}
	if h.closedOn > 0 {
		return true
	}
	st := r.pats[h.pat].steps[h.step]
	return st.sig >= 0 && st.max == 0 && r.now.Sub(h.stepStart) >= st.min
}

// confirm reports the oldest onset's tone once a single tone explains it.
func (r *Recognizer) confirm() {
	for {
		if r.occOn {
			if !r.occInGap() {
				return
			}
			r.pruneBefore(r.occ.lastOnEnd)
		}
		if r.nh == 0 {
			return
		}
		first := r.hyps[0].start
		for i := 1; i < r.nh; i++ {
			if r.hyps[i].start.Before(first) {
				first = r.hyps[i].start
			}
		}
		best, pat := -1, -1
		for i := range r.nh {
			h := &r.hyps[i]
			if !h.start.Equal(first) {
				continue
			}
			if pat >= 0 && r.pats[h.pat].name != r.pats[pat].name {
				return // still ambiguous
			}
			pat = h.pat
			if r.evidence(h) && (best < 0 || h.closedOn > r.hyps[best].closedOn || h.done) {
				best = i
			}
		}
		if best < 0 {
			return
		}
		h := r.hyps[best]
		if r.occOn {
			r.endOcc(false) // a call-waiting tone gives way between bursts
		}
		for i := 0; i < r.nh; {
			if r.hyps[i].start.Equal(first) {
				r.drop(i)
				continue
			}
			i++
		}
		r.cutBack(h.start)
		r.occ, r.occOn = h, true
		r.occHist = r.record(Heard{Tone: r.pats[h.pat].name, Start: h.start})
		r.splitVoice(h.start)
		if h.done {
			r.endOcc(true)
		}
	}
}
