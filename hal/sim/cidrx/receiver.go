package cidrx

import (
	"fmt"
	"math"
	"time"
)

// Standard is the FSK modem the phone was built for.
type Standard uint8

// FSK standards, both 1200 baud 8N1 LSB first (GR-30-CORE; ETSI EN 300
// 659-1 §6.1.1).
const (
	Bell202 Standard = iota + 1 // mark 1200 Hz, space 2200 Hz (Bell 202)
	V23                         // mark 1300 Hz, space 2100 Hz (ITU-T V.23 §2.3)
)

func (s Standard) String() string {
	switch s {
	case Bell202:
		return "bell202"
	case V23:
		return "v23"
	}
	return fmt.Sprintf("standard(%d)", uint8(s))
}

func (s Standard) tones() (mark, space float64) {
	if s == V23 {
		return 1300, 2100
	}
	return 1200, 2200
}

const (
	sampleRate   = 8000
	frameSamples = 160
	sampleDur    = time.Second / sampleRate

	// centreHz is midway between mark and space for both standards:
	// (1200+2200)/2 = (1300+2100)/2. At 8 kHz its phase repeats every
	// loPeriod samples (1700/8000 = 17/80).
	centreHz = 1700
	loPeriod = 80
	// basebandHz low-passes the mixed-down signal: it passes the ±500 Hz
	// deviation and the keying sidebands and stops the image at ≥ 2900 Hz.
	basebandHz = 1100
	// Bit timing in ticks: a sample is 3 ticks and a bit 20, so 1200 baud at
	// 8 kHz is exact.
	tickSample = 3
	tickBit    = 20
	// tickMid is where the middle of the start bit shows at the
	// discriminator, counted from its first space sample. Measured: at
	// 20 dB S/N messages decode with it anywhere from 4 to 12 (V.23) or 0 to
	// 12 (Bell 202); 8 is the middle of that eye.
	tickMid = 8
	// minMarkBits of steady mark must precede a message. GR-30 sends 150 ms
	// (180 bits), ETSI EN 300 659-1 at least 80 ms and BT SIN 227 at least 96
	// bits; 50 bits leaves room for carrier-detect time and noise.
	minMarkBits = 50
	// seizureBytes of back-to-back 0x55 count as a channel seizure (the full
	// seizure is 30).
	seizureBytes = 10

	maxMessage = 258 // type, length ≤ 255, payload, checksum
	maxPending = 16
	maxAlerts  = 8

	// p0 is the mean power of a 0 dBm0 sine in 16-bit PCM: G.711 puts µ-law
	// full scale (32636) at +3.17 dBm0, so 0 dBm0 has a peak of ≈ 22654
	// (ITU-T G.711 §3). [derived]
	p0 = 22654.0 * 22654.0 / 2
)

// dBm0 converts a level to mean power in PCM units squared.
func dBm0(level float64) float32 { return float32(p0 * math.Pow(10, level/10)) }

type pending struct {
	at      time.Time
	seizure bool
	n       int
	b       [maxMessage]byte
}

// Receiver is one phone's caller ID unit. It is fed line audio a frame at a
// time, allocates nothing while doing so, and is owned by one goroutine.
type Receiver struct {
	std Standard

	// Front end: band-pass filter and carrier detect.
	band          [4]biquad
	pIn, pBand    float32 // smoothed power of the input and of the band
	onLvl, offLvl float32
	carrier       bool

	// Discriminator: the band is mixed down around the centre frequency
	// (1700 Hz for both standards), low-passed to drop the image, and the
	// phase step between samples gives the instantaneous frequency.
	lo       [loPeriod][2]float32 // cos, sin of the centre frequency
	loPos    int
	lpI, lpQ [2]biquad
	zi, zq   float32 // previous baseband sample
	d1, d2   float32 // the two previous discriminator outputs
	strong   float32 // a discriminator output below -strong is steady mark

	// UART.
	inByte  bool
	ticks   int
	bitN    int
	shift   byte
	low     int // consecutive space samples while hunting
	markRun int // steady-mark samples since the last byte
	preMark int // markRun when the current byte's start bit came

	// Message assembly.
	inMsg   bool
	msg     [maxMessage]byte
	n, want int
	seizRun int
	seizure bool
	errors  int

	queue [maxPending]pending
	nq    int

	alert alertDetector

	frameAt time.Time
	idx     int
}

// New returns a receiver for std.
func New(std Standard) *Receiver {
	r := &Receiver{std: std}
	mark, space := std.tones()
	// Pass band from 500 Hz below mark to 800 Hz above space: dial, busy and
	// ringback tones (350–620 Hz) and speech's strongest band fall outside.
	r.band = [4]biquad{
		butterworth2(mark-500, true), butterworth2(mark-500, true),
		butterworth2(space+800, false), butterworth2(space+800, false),
	}
	for k := range loPeriod {
		w := 2 * math.Pi * centreHz * float64(k) / sampleRate
		r.lo[k] = [2]float32{float32(math.Cos(w)), float32(math.Sin(w))}
	}
	for k := range r.lpI {
		r.lpI[k] = butterworth2(basebandHz, false)
		r.lpQ[k] = r.lpI[k]
	}
	// The discriminator reads sin(Δω)/2 for a clean tone Δω from the
	// centre; steady mark must reach at least half of that.
	r.strong = float32(math.Sin(2*math.Pi*(centreHz-mark)/sampleRate) / 4)
	// The MT88E45 accepts down to -48 dBm and rejects below (Zarlink
	// datasheet Table 4); carrier is on above -46 dBm0 and off below -50.
	r.onLvl, r.offLvl = dBm0(-46), dBm0(-50)
	r.alert.init()
	return r
}

// Feed demodulates one 20 ms frame of line audio; at is the time of its
// first sample.
func (r *Receiver) Feed(f *[frameSamples]int16, at time.Time) {
	r.frameAt = at
	for i, v := range f {
		r.idx = i
		x := float32(v)
		r.alert.step(x, r, i)
		y := x
		for k := range r.band {
			y = r.band[k].step(y)
		}
		r.sample(x, y)
	}
}

func (r *Receiver) now() time.Time { return r.frameAt.Add(time.Duration(r.idx) * sampleDur) }

// sample runs carrier detect, the discriminator and the UART on one sample.
func (r *Receiver) sample(x, y float32) {
	const k = 1.0 / 32 // 4 ms smoothing
	r.pIn += (x*x - r.pIn) * k
	r.pBand += (y*y - r.pBand) * k
	if r.pIn < tiny { // see tiny: silence must not decay into subnormals
		r.pIn, r.pBand = 0, 0
	}
	if r.carrier {
		r.carrier = r.pBand > r.offLvl && r.pBand > 0.3*r.pIn
	} else {
		r.carrier = r.pBand > r.onLvl && r.pBand > 0.45*r.pIn
	}

	lo := &r.lo[r.loPos]
	if r.loPos++; r.loPos == loPeriod {
		r.loPos = 0
	}
	zi, zq := y*lo[0], -y*lo[1]
	for k := range r.lpI {
		zi, zq = r.lpI[k].step(zi), r.lpQ[k].step(zq)
	}
	// Im(z·conj(z₋₁)) / (|z|²+|z₋₁|²) = sin(Δω)/2 for a steady tone:
	// negative below the centre (mark), positive above (space).
	d := (r.zi*zq - r.zq*zi) / (zi*zi + zq*zq + r.zi*r.zi + r.zq*r.zq + 1e-3)
	r.zi, r.zq = zi, zq
	// Bits are read from the sum over three samples, centred one sample
	// back: it averages noise over half a bit without reaching the next.
	d3 := d + r.d1 + r.d2
	r.d1, r.d2 = d, r.d1

	if !r.carrier {
		if r.inMsg {
			r.errors++ // carrier lost mid-message
		}
		r.inMsg, r.inByte = false, false
		r.markRun, r.low, r.seizRun = 0, 0, 0
		r.seizure = false
		return
	}
	mark := d <= 0
	if !r.inByte {
		if mark {
			r.low = 0
			if d < -r.strong { // steady mark, not noise around the centre
				r.markRun++
			} else if r.markRun -= 4; r.markRun < 0 {
				r.markRun = 0
			}
			return
		}
		// Two space samples in a row start a byte: one alone is more
		// likely noise. The first of them is tick 0.
		if r.low++; r.low == 2 {
			r.inByte, r.ticks, r.bitN = true, tickSample, 0
			r.preMark = r.markRun
		}
		return
	}
	// Read each bit at its middle, tickMid+20n ticks from the edge the
	// discriminator saw (its own delay cancels out), from d3, which is
	// centred one sample (3 ticks) back.
	r.ticks += tickSample
	if r.ticks < tickMid+tickSample+tickBit*r.bitN {
		return
	}
	mark = d3 <= 0
	switch r.bitN {
	case 0:
		if mark { // the start bit did not last: a glitch
			r.inByte, r.low = false, 0
			return
		}
	case 9:
		r.inByte, r.low, r.markRun = false, 0, 0
		r.byteDone(r.shift, mark, r.preMark*tickSample/tickBit)
		return
	default:
		r.shift >>= 1
		if mark {
			r.shift |= 0x80
		}
	}
	r.bitN++
}

// byteDone takes one framed byte: ok is a good stop bit, preMark the whole
// bits of steady mark before its start bit.
func (r *Receiver) byteDone(b byte, ok bool, preMark int) {
	if r.inMsg {
		if !ok {
			r.errors++ // framing error inside a message
			r.inMsg = false
			return
		}
		r.msg[r.n] = b
		r.n++
		if r.n == 2 {
			r.want = int(b) + 3
		}
		if r.n == r.want {
			r.inMsg = false
			r.finish()
		}
		return
	}
	switch {
	case !ok:
		r.seizRun = 0
	case b == 0x55 && (r.seizRun == 0 || preMark < 2):
		if r.seizRun++; r.seizRun >= seizureBytes {
			r.seizure = true
		}
	default:
		r.seizRun = 0
		if preMark >= minMarkBits && knownType(b) {
			r.inMsg, r.n = true, 1
			r.msg[0] = b
		}
	}
}

// finish checks a complete message and queues it.
func (r *Receiver) finish() {
	m := r.msg[:r.n]
	seized := r.seizure
	r.seizure = false
	if !valid(m) {
		r.errors++
		return
	}
	if r.nq == maxPending {
		return // the test never polled; drop rather than grow
	}
	q := &r.queue[r.nq]
	q.at, q.seizure, q.n = r.now(), seized, copy(q.b[:], m)
	r.nq++
}

// Messages returns and clears the messages decoded so far, in order.
func (r *Receiver) Messages() []Message {
	if r.nq == 0 {
		return nil
	}
	out := make([]Message, r.nq)
	for i := range out {
		q := &r.queue[i]
		out[i] = parse(q.b[:q.n], q.at, q.seizure)
	}
	r.nq = 0
	return out
}

// Errors returns how many messages were dropped for a bad checksum, a
// malformed payload, a framing error or a carrier lost before their end.
func (r *Receiver) Errors() int { return r.errors }

// Alerts returns and clears the onsets of the dual-tone alerts detected so
// far (to within one 10 ms block).
func (r *Receiver) Alerts() []time.Time {
	if r.alert.n == 0 {
		return nil
	}
	out := make([]time.Time, r.alert.n)
	copy(out, r.alert.found[:r.alert.n])
	r.alert.n = 0
	return out
}
