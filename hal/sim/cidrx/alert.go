package cidrx

import (
	"math"
	"time"
)

// Dual-tone alerting signal: 2130 + 2750 Hz, 100 ± 10 ms before on-hook data
// (ETSI EN 300 659-1 §6.1.1; BT SIN 227: 88–110 ms), 75–85 ms as the Type II
// CPE alerting signal (GR-30-CORE). [verify]
const (
	alertLowHz  = 2130
	alertHighHz = 2750
	// alertBlock is the Goertzel block: 10 ms gives 100 Hz bins, enough to
	// tell 2130 Hz from a Bell 202 space at 2200 Hz once 2750 Hz is also
	// required.
	alertBlock = 80
	// An alert needs 7 to 20 blocks in a row with both tones: a tone of 80 ms
	// or more always fills 7 whole blocks, one of 60 ms never does, and
	// anything over 200 ms is a steady tone, not an alert.
	alertMinBlocks = 7
	alertMaxBlocks = 20
)

type alertDetector struct {
	c1, c2         float32 // 2cos(ω) of each tone
	a1, a2, b1, b2 float32 // Goertzel state of each tone
	e              float32 // block energy
	k              int     // samples in the block
	blockAt        time.Time
	run            int
	runAt          time.Time
	minE           float32
	found          [maxAlerts]time.Time
	n              int
}

func (d *alertDetector) init() {
	d.c1 = float32(2 * math.Cos(2*math.Pi*alertLowHz/sampleRate))
	d.c2 = float32(2 * math.Cos(2*math.Pi*alertHighHz/sampleRate))
	d.minE = dBm0(-45) * alertBlock // both tones together
}

// step adds sample i of the frame r is feeding.
func (d *alertDetector) step(x float32, r *Receiver, i int) {
	if d.k == 0 {
		d.blockAt = r.frameAt.Add(time.Duration(i) * sampleDur)
	}
	d.a1, d.a2 = x+d.c1*d.a1-d.a2, d.a1
	d.b1, d.b2 = x+d.c2*d.b1-d.b2, d.b1
	d.e += x * x
	if d.k++; d.k < alertBlock {
		return
	}
	// Normalised so a block that is all one tone scores 1: |X|² = (A·N/2)²
	// and E = A²·N/2.
	norm := d.e * alertBlock / 2
	pl := (d.a1*d.a1 + d.a2*d.a2 - d.c1*d.a1*d.a2) / norm
	ph := (d.b1*d.b1 + d.b2*d.b2 - d.c2*d.b1*d.b2) / norm
	both := d.e > d.minE && pl > 0.15 && ph > 0.15 && pl+ph > 0.7
	d.a1, d.a2, d.b1, d.b2, d.e, d.k = 0, 0, 0, 0, 0, 0
	if both {
		if d.run == 0 {
			d.runAt = d.blockAt
		}
		d.run++
		return
	}
	if d.run >= alertMinBlocks && d.run <= alertMaxBlocks && d.n < maxAlerts {
		d.found[d.n] = d.runAt
		d.n++
	}
	d.run = 0
}
