package dtmf

import (
	"math"
	"time"
)

// Kind says what an Event reports.
type Kind uint8

// Event kinds.
const (
	None    Kind = iota // nothing happened in this frame
	KeyDown             // a digit started (present and valid for the minimum duration)
	KeyUp               // the digit ended; Event.Duration is how long it lasted
)

func (k Kind) String() string {
	switch k {
	case None:
		return "none"
	case KeyDown:
		return "keydown"
	case KeyUp:
		return "keyup"
	}
	return "kind?"
}

// Event is one detector result.
type Event struct {
	Kind     Kind
	Digit    byte          // '0'-'9', '*', '#', 'A'-'D'
	Duration time.Duration // for KeyUp: estimated tone duration, to 2.5 ms
}

// Analysis geometry (see doc.go for the reasoning).
const (
	subLen       = 20                      // samples per sub-block: 2.5 ms
	subsPerFrame = FrameSamples / subLen   // 8 hops per 20 ms frame
	winSubs      = 6                       // sub-blocks per analysis window
	winLen       = subLen * winSubs        // 120 samples, 15 ms, main lobe ±66.7 Hz
	subDuration  = 2500 * time.Microsecond // subLen at 8 kHz
)

// Detection limits. Q.24 figures are from the research brief §3.9 (ITU-T
// Q.24 as used by Asterisk dsp.c); the rest are this detector's choices.
const (
	// minOnSubs is the shortest tone reported: 35 ms, between the 40 ms that
	// Q.24 requires to be accepted and the 30 ms the issue requires rejected;
	// edges are placed to one sub-block (2.5 ms).
	minOnSubs = 14
	// bridgeHops of failed windows end a digit: interruptions up to about
	// 10 ms do not split it (the window itself bridges the rest).
	bridgeHops = 4
	// maxDev is the frequency limit on the offset averaged over the
	// validation period: midway between Q.24 accept (1.5 %) and reject (3.5 %).
	maxDev = 0.025
	// hopDev is the per-window limit, which drops obvious misses early. One
	// window's offset can be off by 2 % when the other tone's sidelobe beats
	// against a weak tone, so this is loose; maxDev decides.
	hopDev = 0.06
	// minLevelDBm0 is the weakest tone accepted. Q.24 operates down to about
	// -26 dBm0 per tone; 5 dB of margin, and 9 dB above the -40 dBm0 that
	// must be rejected.
	minLevelDBm0 = -31.0
	// Twist limits: Q.24 accepts normal twist (high group louder) up to 8 dB
	// and reverse twist up to 4 dB; 0.5 dB margin for estimation error.
	normalTwistDB  = 8.5
	reverseTwistDB = 4.5
	// relPeakDB: each tone must beat the other bins of its group by this
	// much. Asterisk uses 8 dB (RELATIVE_PEAK 6.3, brief §3.9), but a row tone
	// 1.5 % off towards its neighbour, 8 dB below its column tone, shows the
	// neighbour bin only 8.5 dB down (sidelobe plus the column's leakage).
	// The frequency and energy checks carry the talk-off load instead.
	relPeakDB = 6.0
	// toneRatio: the two tones must carry this share of the window's energy.
	toneRatio = 0.8
	// fullFrac: a window is full when no sub-block has less than this share
	// of the window's mean sub-block energy. Two tones 268 Hz apart (row 4,
	// column 1) beat within a 2.5 ms sub-block down to about 0.6 of the mean,
	// less with noise; silence or noise at 15 dB S/N sits near 0.03. A tone
	// spanning at most 13 sub-blocks (30 ms) stays under minOnSubs whatever
	// this is, so it does not move the 30/40 ms boundary.
	fullFrac = 0.2
	// hopSlackDB loosens the level and twist limits for a single window:
	// the other tone's sidelobe beats against a weak tone and moves one
	// window's estimate by up to about ±1 dB. The exact limits apply to the
	// averages over the validation period, where the beat cancels.
	hopSlackDB = 2.0
	// Once reported, a digit continues on looser terms (hysteresis).
	contRatio   = 0.5
	contLevelDB = 3.0
	contTwistDB = 2.0
	// dcPole is the DC blocker's pole: cut-off about 13 Hz.
	dcPole = 0.99
)

// run is a candidate digit being validated: consecutive full, valid windows.
type run struct {
	digit    byte // 0 when no run
	row, col int
	start    int64 // first sub-block of the first full window
	last     int64 // sub-block index of the last valid window
	hops     int
	zr, zc   complex128 // pulse-pair sums for the frequency estimate
	// Sums of |Y_r|², |Y_c|² and Y_r·conj(Y_c), the row and column bins
	// referred to each window's start, for tonePowers.
	srr, scc float64
	src      complex128
	energy   float64 // sum of window energies, for the tone's mean level
}

// held is the digit reported down.
type held struct {
	digit        byte // 0 when none
	row, col     int
	start        int64   // first sub-block of the tone
	lastOn       int64   // last sub-block that carried the tone
	miss         int     // consecutive windows that failed to continue it
	corrR, corrC float64 // half-window bin power to tone power
	subEnergy    float64 // mean sub-block energy of the tone
}

// Detector finds DTMF digits in a stream of 20 ms frames. One per audio
// stream; not safe for concurrent use. It allocates nothing per frame.
type Detector struct {
	// Fixed after NewDetector.
	cos, sin   [8][subLen]float64
	step       [8]complex128 // e^{-jω·subLen}: advances the phase reference
	winStep    [8]complex128 // e^{-jω·winLen}
	omega      [8]float64    // radians per sample
	radToFrac  [8]float64    // pulse-pair angle (rad per hop) to fractional offset
	minPow     float64
	hopMinPow  float64
	contMinPow float64
	normTwist  float64
	revTwist   float64
	hopNorm    float64
	hopRev     float64
	relPeak    float64
	contNorm   float64
	contRev    float64

	// Input conditioning.
	dcIn, dcOut float64
	buf         [subLen]float64

	// Sliding analysis: a ring of the last winSubs sub-block correlations.
	ref   [8]complex128 // e^{-jω·n} at the current sub-block's first sample
	subs  [winSubs][8]complex128
	subE  [winSubs]float64
	head  int           // ring slot for the next sub-block
	k     int64         // index of the last sub-block processed
	seen  int           // sub-blocks since Reset, saturating at winSubs
	prevX [8]complex128 // the previous window; zero after Reset, which reads as no offset

	run  run
	held held

	queue [8]Event
	qHead int
	qLen  int
}

// NewDetector returns a detector with the ITU-T Q.24 limits described above.
func NewDetector() *Detector {
	d := &Detector{}
	f := toneFreqs()
	for i, hz := range f {
		w := 2 * math.Pi * hz / sampleRate
		for n := range subLen {
			d.cos[i][n] = math.Cos(w * float64(n))
			d.sin[i][n] = math.Sin(w * float64(n))
		}
		d.step[i] = complex(math.Cos(w*subLen), -math.Sin(w*subLen))
		d.winStep[i] = complex(math.Cos(w*winLen), -math.Sin(w*winLen))
		d.omega[i] = w
		// angle per hop θ = 2π·Δf·subLen/fs, so Δf/f = θ·fs/(2π·subLen·f).
		d.radToFrac[i] = sampleRate / (2 * math.Pi * subLen * hz)
	}
	p0 := ZeroDBm0Peak * ZeroDBm0Peak / 2 // power of a 0 dBm0 sine
	d.minPow = p0 * dbPow(minLevelDBm0)
	d.hopMinPow = d.minPow * dbPow(-hopSlackDB)
	d.contMinPow = d.minPow * dbPow(-contLevelDB)
	d.normTwist = dbPow(normalTwistDB)
	d.revTwist = dbPow(reverseTwistDB)
	d.hopNorm = dbPow(normalTwistDB + hopSlackDB)
	d.hopRev = dbPow(reverseTwistDB + hopSlackDB)
	d.relPeak = dbPow(relPeakDB)
	d.contNorm = dbPow(normalTwistDB + contTwistDB)
	d.contRev = dbPow(reverseTwistDB + contTwistDB)
	d.Reset()
	return d
}

func dbPow(db float64) float64 { return math.Pow(10, db/10) }

// Reset forgets all state, as for a new stream. A digit held down is
// dropped without a KeyUp.
func (d *Detector) Reset() {
	d.dcIn, d.dcOut = 0, 0
	for i := range d.ref {
		d.ref[i] = 1
	}
	d.subs = [winSubs][8]complex128{}
	d.subE = [winSubs]float64{}
	d.head, d.k, d.seen = 0, -1, 0
	d.prevX = [8]complex128{}
	d.run = run{}
	d.held = held{}
	d.qHead, d.qLen = 0, 0
}

// Process consumes one frame. It returns an Event when a digit starts
// (KeyDown, once it has been present and valid for the minimum duration) or
// ends (KeyUp, with its duration), else Event{}. When two things happen in
// one frame the second is queued and returned by the next call.
func (d *Detector) Process(f *[160]int16) Event {
	for s := range subsPerFrame {
		d.subBlock(f[s*subLen : (s+1)*subLen])
		if d.seen == winSubs {
			d.hop()
		}
	}
	// Renormalise the phase references once a frame against rounding drift.
	for i, r := range d.ref {
		m := math.Hypot(real(r), imag(r))
		d.ref[i] = complex(real(r)/m, imag(r)/m)
	}
	if math.Abs(d.dcOut) < 1e-20 { // keep denormals out of the DC blocker
		d.dcOut = 0
	}
	return d.pop()
}

// subBlock correlates 20 samples with the eight frequencies against the
// absolute phase reference and stores the result in the ring.
func (d *Detector) subBlock(x []int16) {
	var e float64
	for n, s := range x[:subLen] {
		v := float64(s)
		y := v - d.dcIn + dcPole*d.dcOut
		d.dcIn, d.dcOut = v, y
		d.buf[n] = y
		e += y * y
	}
	slot := &d.subs[d.head]
	for i := range d.cos {
		var re, im float64
		c, s := &d.cos[i], &d.sin[i]
		for n, v := range d.buf {
			re += v * c[n]
			im -= v * s[n]
		}
		slot[i] = complex(re, im) * d.ref[i]
		d.ref[i] *= d.step[i]
	}
	d.subE[d.head] = e
	d.head = (d.head + 1) % winSubs
	d.k++
	if d.seen < winSubs {
		d.seen++
	}
}

// hop analyses the window that ends with the newest sub-block.
func (d *Detector) hop() {
	// x is the window's DFT at the eight frequencies, half the sum over its
	// older half (x-half is the newer half); pw and hpw are their powers.
	var x, half [8]complex128
	var pw, hpw [8]float64
	e, minE := 0.0, math.Inf(1)
	for i := range winSubs {
		slot := (d.head + i) % winSubs
		e += d.subE[slot]
		minE = min(minE, d.subE[slot])
		for j := range x {
			x[j] += d.subs[slot][j]
		}
		if i == winSubs/2-1 {
			half = x
		}
	}
	for j, v := range x {
		pw[j] = real(v)*real(v) + imag(v)*imag(v)
		a, b := half[j], v-half[j]
		hpw[j] = real(a)*real(a) + imag(a)*imag(a) + real(b)*real(b) + imag(b)*imag(b)
	}
	r, c := argmax4(pw[0:4]), 4+argmax4(pw[4:8])
	newest := d.subE[(d.head+winSubs-1)%winSubs]

	if d.held.digit != 0 {
		if d.continues(&hpw, e) {
			d.held.miss = 0
			if newest >= fullFrac*d.held.subEnergy {
				d.held.lastOn = d.k
			}
		} else if d.held.miss++; d.held.miss >= bridgeHops {
			d.release()
		}
	}

	if d.validate(&x, &pw, e, minE, r, c) {
		d.extendRun(&x, e, r, c)
	} else {
		d.run.digit = 0
	}
	d.prevX = x
}

func argmax4(p []float64) int {
	best := 0
	for i := 1; i < 4; i++ {
		if p[i] > p[best] {
			best = i
		}
	}
	return best
}

// windowGain is an n-sample rectangular window's power response to a tone
// offset by θ radians per hop: (sin(n·a)/(n·sin a))², a the half offset per sample.
func windowGain(theta float64, n int) float64 {
	a := theta / (2 * subLen)
	s := math.Sin(a)
	if math.Abs(s) < 1e-12 {
		return 1
	}
	g := math.Sin(float64(n)*a) / (float64(n) * s)
	return g * g
}

// tonePow converts a bin power |X|² to the tone's power (A²/2), undoing the
// window's loss at offset θ. It ignores the other tone's sidelobe: good to
// about ±1 dB, enough for the per-window checks.
func tonePow(binPow, theta float64) float64 {
	return binPow * 2 / (winLen * winLen * max(windowGain(theta, winLen), 1e-3))
}

// halfPow converts the sum of the two half-windows' bin powers to the
// tone's power (A²/2), undoing the window's loss at offset θ.
func halfPow(binPow, theta float64) float64 {
	const n = winLen / 2
	return binPow / (n * n * max(windowGain(theta, n), 1e-3))
}

// validate runs the per-window checks for a new candidate digit.
func (d *Detector) validate(x *[8]complex128, pw *[8]float64, e, minE float64, r, c int) bool {
	// Full window: the tone fills all of it, so edges are sharp and the
	// pulse pair below is unbiased.
	if e <= 0 || minE*winSubs < fullFrac*e {
		return false
	}
	for i := range 4 {
		if i != r && pw[i]*d.relPeak > pw[r] {
			return false
		}
		if 4+i != c && pw[4+i]*d.relPeak > pw[c] {
			return false
		}
	}
	tr := angle(x[r] * conj(d.prevX[r]))
	tc := angle(x[c] * conj(d.prevX[c]))
	if math.Abs(tr*d.radToFrac[r]) > hopDev || math.Abs(tc*d.radToFrac[c]) > hopDev {
		return false
	}
	pr, pc := tonePow(pw[r], tr), tonePow(pw[c], tc)
	if pr < d.hopMinPow || pc < d.hopMinPow || pc > d.hopNorm*pr || pr > d.hopRev*pc {
		return false
	}
	return pr+pc >= toneRatio*e/winLen
}

// tonePowers returns the mean powers (A²/2) of the run's row and column
// tones, given their offsets from nominal (tr, tc in radians per hop).
//
// Each bin holds its own tone, reduced by the window's response at the
// offset, plus the other tone's sidelobe. The sidelobe is only about -30 dB,
// but against a tone 8 dB weaker it moves the estimate by ±0.7 dB, and for
// keys whose tone spacing is near a multiple of the 400 Hz hop rate (0, 3,
// C) that error does not average out over hops. So each window is modelled
// as the two tones with complex amplitudes a, b at its start:
//
//	Y_r = a·G(δr) + b·G(ωc+δc-ωr),  Y_c = a·G(ωr+δr-ωc) + b·G(δc)
//
// with G the window kernel, and the 2×2 system solved for |a|² and |b|²,
// summed over the run through the sums of Y products.
func (d *Detector) tonePowers(ru *run, tr, tc float64) (pr, pc float64) {
	r, c := ru.row, ru.col
	dr, dc := tr/subLen, tc/subLen // offsets in radians per sample
	span := d.omega[c] - d.omega[r]
	grr, gcc := kernel(dr), kernel(dc)
	gcr, grc := kernel(span+dc), kernel(-span+dr) // column tone in the row bin, row tone in the column bin
	det := grr*gcc - grc*gcr
	den := real(det)*real(det) + imag(det)*imag(det)
	if den == 0 {
		return 0, 0
	}
	// Σ|Y_r·gcc - Y_c·gcr|² and Σ|Y_c·grr - Y_r·grc|², expanded.
	sa := ru.srr*abs2(gcc) + ru.scc*abs2(gcr) - 2*real(ru.src*gcc*conj(gcr))
	sb := ru.scc*abs2(grr) + ru.srr*abs2(grc) - 2*real(conj(ru.src)*grr*conj(grc))
	// A real tone A·cos has complex amplitude A/2 at +ω: power A²/2 = 2|a|².
	n := float64(ru.hops)
	return 2 * sa / den / n, 2 * sb / den / n
}

func abs2(z complex128) float64 { return real(z)*real(z) + imag(z)*imag(z) }

// kernel is the window's response to e^{jΔn}: Σ_{m<winLen} e^{jΔm}.
func kernel(delta float64) complex128 {
	mag := float64(winLen)
	if s := math.Sin(delta / 2); math.Abs(s) > 1e-12 {
		mag = math.Sin(delta*winLen/2) / s
	}
	sin, cos := math.Sincos(delta * (winLen - 1) / 2)
	return complex(mag*cos, mag*sin)
}

// extendRun adds a valid window to the candidate run and reports the digit
// once it has lasted long enough at the right frequencies.
func (d *Detector) extendRun(x *[8]complex128, e float64, r, c int) {
	digit := keypad[r*4+c-4]
	if digit == d.held.digit {
		d.run.digit = 0 // already reported; continues() looks after it
		return
	}
	ru := &d.run
	if ru.digit != digit || ru.last != d.k-1 {
		*ru = run{digit: digit, row: r, col: c, start: d.k - winSubs + 1}
	}
	ru.last = d.k
	ru.hops++
	ru.energy += e
	// Bin k referred to the window start n0: X_k·e^{jω_k·n0}, where
	// e^{-jω_k·n0} = ref_k·e^{jω_k·winLen} after the window's last sub-block.
	yr := x[r] * conj(d.ref[r]*conj(d.winStep[r]))
	yc := x[c] * conj(d.ref[c]*conj(d.winStep[c]))
	ru.srr += abs2(yr)
	ru.scc += abs2(yc)
	ru.src += yr * conj(yc)
	// The first two windows may hold a part-filled edge sub-block; leave
	// their phase steps out of the frequency estimate.
	if ru.hops > 2 {
		ru.zr += x[r] * conj(d.prevX[r])
		ru.zc += x[c] * conj(d.prevX[c])
	}
	if d.k-ru.start+1 < minOnSubs || ru.hops <= 2 {
		return
	}
	tr, tc := angle(ru.zr), angle(ru.zc)
	if math.Abs(tr*d.radToFrac[r]) > maxDev || math.Abs(tc*d.radToFrac[c]) > maxDev {
		return // keep averaging; a tone truly off frequency never passes
	}
	mr, mc := d.tonePowers(ru, tr, tc)
	if mr < d.minPow || mc < d.minPow || mc > d.normTwist*mr || mr > d.revTwist*mc {
		return
	}
	if d.held.digit != 0 {
		d.release()
	}
	d.held = held{
		digit:     digit,
		row:       r,
		col:       c,
		start:     ru.start,
		lastOn:    d.k,
		corrR:     halfPow(1, tr),
		corrC:     halfPow(1, tc),
		subEnergy: ru.energy / float64(ru.hops*winSubs),
	}
	d.run.digit = 0
	d.push(Event{Kind: KeyDown, Digit: digit})
}

// continues reports whether the window still carries the held digit. It
// adds the powers of the two half-windows rather than taking the whole
// window's coherent sum, so a brief interruption that restarts the tones at
// another phase does not cancel them out; 60 samples still resolve the
// rows well enough to tell the held row from its neighbour.
func (d *Detector) continues(hpw *[8]float64, e float64) bool {
	h := &d.held
	r, c := h.row, h.col
	if e <= 0 || argmax4(hpw[0:4]) != r || 4+argmax4(hpw[4:8]) != c {
		return false
	}
	pr, pc := hpw[r]*h.corrR, hpw[c]*h.corrC
	if pr < d.contMinPow || pc < d.contMinPow || pc > d.contNorm*pr || pr > d.contRev*pc {
		return false
	}
	return pr+pc >= contRatio*e/winLen
}

// release ends the held digit with a KeyUp.
func (d *Detector) release() {
	h := &d.held
	n := h.lastOn - h.start + 1
	d.push(Event{Kind: KeyUp, Digit: h.digit, Duration: time.Duration(n) * subDuration})
	d.held = held{}
}

func (d *Detector) push(ev Event) {
	if d.qLen == len(d.queue) {
		return // cannot happen with 40 ms minimum timings; drop rather than grow
	}
	d.queue[(d.qHead+d.qLen)%len(d.queue)] = ev
	d.qLen++
}

func (d *Detector) pop() Event {
	if d.qLen == 0 {
		return Event{}
	}
	ev := d.queue[d.qHead]
	d.qHead = (d.qHead + 1) % len(d.queue)
	d.qLen--
	return ev
}

func conj(z complex128) complex128 { return complex(real(z), -imag(z)) }

func angle(z complex128) float64 { return math.Atan2(imag(z), real(z)) }
