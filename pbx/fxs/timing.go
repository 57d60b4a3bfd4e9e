package fxs

import "time"

// cidMethod is how caller ID and message waiting reach the phone.
type cidMethod uint8

const (
	// cidAfterRing sends FSK in the silent interval after the first ring
	// (Telcordia GR-30-CORE; ETSI EN 300 659-1 §6.1.1 "associated with ringing").
	cidAfterRing cidMethod = iota
	// cidBeforeRing reverses the line polarity and sends the dual-tone alert
	// before the FSK, all before the first ring (BT SIN 227 §3.2; ETSI EN
	// 300 659-1 §6.1.2, DT-AS variant).
	cidBeforeRing
)

// Timings are an FXS port's line timings.
type Timings struct {
	hook        hookTimes
	FirstDigit  time.Duration // dial tone before the first digit
	InterDigit  time.Duration // wait for the next digit
	HowlerAfter time.Duration // congestion or clear-down this long before the howler
	HowlerFor   time.Duration // howler this long, then silence
	cid         cidMethod
	fskV23      bool // ITU-T V.23 FSK (ETSI, BT) instead of Bell 202
}

// timesFor returns the defaults for a country.
//
// Hook: DAHDI reads a 15–200 ms break as a pulse and 200–1250 ms as a flash
// (research brief §3.1). That misreads a UK/EU timed-break recall (about
// 100 ms; ETS 300 001 §4.4 allows 40–130 ms) as the digit 1, so uk and de
// split at 85 ms: a 10 pps pulse breaks for 60–67 ms (brief §3.2).
func timesFor(country string) Timings {
	t := Timings{
		hook: hookTimes{
			glitch:       10 * time.Millisecond,
			pulseMax:     150 * time.Millisecond,
			flashMin:     150 * time.Millisecond,
			flashMax:     1100 * time.Millisecond,
			pulseTimeout: 250 * time.Millisecond,
		},
		FirstDigit:  15 * time.Second,
		InterDigit:  5 * time.Second,
		HowlerAfter: 30 * time.Second,
		HowlerFor:   60 * time.Second,
		cid:         cidAfterRing,
	}
	switch country {
	case "uk":
		t.hook.pulseMax, t.hook.flashMin, t.hook.flashMax = 85*time.Millisecond, 40*time.Millisecond, 300*time.Millisecond
		t.cid, t.fskV23 = cidBeforeRing, true
	case "de":
		t.hook.pulseMax, t.hook.flashMin, t.hook.flashMax = 85*time.Millisecond, 40*time.Millisecond, 300*time.Millisecond
		t.fskV23 = true
	}
	return t
}

// Override changes the hook and digit timings; zero values keep the default.
type Override struct {
	FlashMin, FlashMax, PulseMax      time.Duration
	FirstDigit, InterDigit, HowlerAft time.Duration
}

func (t *Timings) apply(o Override) {
	set := func(d *time.Duration, v time.Duration) {
		if v > 0 {
			*d = v
		}
	}
	set(&t.hook.flashMin, o.FlashMin)
	set(&t.hook.flashMax, o.FlashMax)
	set(&t.hook.pulseMax, o.PulseMax)
	set(&t.FirstDigit, o.FirstDigit)
	set(&t.InterDigit, o.InterDigit)
	set(&t.HowlerAfter, o.HowlerAft)
}
