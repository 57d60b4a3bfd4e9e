package callerid

import (
	"math"
	"time"
)

// Dual-tone alerting signal (DT-AS): 2130 Hz + 2750 Hz, 100 ± 10 ms (ETSI EN
// 300 659-1 §6.1.1; BT SIN 227 calls it the idle-state tone alert, 88–110 ms).
// The same pair is the CPE alerting signal of Type II caller ID, 75–85 ms
// (GR-30-CORE / GR-575-CORE). [verify]
const (
	AlertLowHz  = 2130
	AlertHighHz = 2750
	// AlertDuration is the nominal DT-AS length.
	AlertDuration = 100 * time.Millisecond
	// AlertLevel is the level of each tone in dBm0, so that the pair carries
	// about the FSK power. EN 300 659-1 gives a range at the TE rather than
	// a send level. [verify]
	AlertLevel = DefaultLevel - 3
)

// Alert generates DT-AS frame by frame. The zero value is ready to use.
type Alert struct {
	rot   [2][2]float64
	z     [2][2]float64 // re, im of each tone's phasor
	amp   float64
	left  int // samples still to send
	ready bool
}

// SetLevel sets the level of each tone in dBm0 (default AlertLevel).
func (a *Alert) SetLevel(dBm0 float64) {
	a.setup()
	a.amp = peak(dBm0)
}

func (a *Alert) setup() {
	if a.ready {
		return
	}
	a.rot[0] = rotation(AlertLowHz)
	a.rot[1] = rotation(AlertHighHz)
	a.amp = peak(AlertLevel)
	a.ready = true
}

// Start begins an alert of duration d (AlertDuration for DT-AS), rounded to
// whole samples, replacing any alert in progress.
func (a *Alert) Start(d time.Duration) {
	a.setup()
	a.left = int(d * sampleRate / time.Second)
	a.z = [2][2]float64{{1, 0}, {1, 0}}
}

// Busy reports whether the alert is still playing.
func (a *Alert) Busy() bool { return a.left > 0 }

// Stop abandons the alert in progress.
func (a *Alert) Stop() { a.left = 0 }

// Fill writes the next 20 ms of the alert into f, silence after its end,
// and reports whether the alert goes on into the next frame (as
// Modulator.Fill).
func (a *Alert) Fill(f *[frameSamples]int16) bool {
	i := 0
	for ; i < frameSamples && a.left > 0; i++ {
		var s float64
		for t := range a.z {
			re, im, r := a.z[t][0], a.z[t][1], &a.rot[t]
			s += im
			a.z[t] = [2]float64{re*r[0] - im*r[1], re*r[1] + im*r[0]}
		}
		f[i] = int16(math.Round(s * a.amp))
		a.left--
	}
	for ; i < frameSamples; i++ {
		f[i] = 0
	}
	return a.left > 0
}
