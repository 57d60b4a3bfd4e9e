package tonerx

import "time"

// Name is what the phone hears.
type Name string

// What can be heard. Silence, Voice and Unknown are not tones: Unknown is a
// tone-like sound still being recognised.
const (
	Silence     Name = "silence"
	Voice       Name = "voice"
	Unknown     Name = "unknown"
	DialTone    Name = "dialtone"
	Stutter     Name = "stutter"
	Ringback    Name = "ringback"
	Busy        Name = "busy"
	Congestion  Name = "congestion"
	CallWaiting Name = "callwaiting"
	Howler      Name = "howler"
	Confirm     Name = "confirm"
	Recall      Name = "dialrecall"
	Info        Name = "info"
)

// burst is one segment of a cadence as the standards write it: frequencies
// (none = silence) for a nominal time (0 = continuous).
type burst struct {
	ms int
	hz []float64
}

// cadence is one tone as the receiver expects it: an intro heard once,
// then a loop heard repeatedly (no loop: the tone ends after the intro).
type cadence struct {
	name  Name
	intro []burst
	loop  []burst
	// inCall marks a tone heard during a conversation (call waiting): its
	// gaps may carry voice as well as silence.
	inCall bool
}

func b(ms int, hz ...float64) burst { return burst{ms, hz} }
func gap(ms int) burst              { return burst{ms: ms} }

func times(n int, bs ...burst) []burst {
	var out []burst
	for range n {
		out = append(out, bs...)
	}
	return out
}

// roh is the receiver-off-hook (howler) tone, Telcordia GR-506-CORE
// §17.2.8: 1400+2060+2450+2600 Hz, 0.1 s on, 0.1 s off.
func roh() cadence {
	return cadence{name: Howler, loop: []burst{b(100, 1400, 2060, 2450, 2600), gap(100)}}
}

// sitBursts is the special information tone, ITU-T E.180 §7: 950, 1400,
// 1800 Hz, 330 ms each.
func sitBursts() []burst { return []burst{b(330, 950), b(330, 1400), b(330, 1800)} }

// tables returns each country's tones as this receiver expects them.
// Sources: ITU-T E.180 Supplement 2 (national tone list); for the US the
// Precise Tone Plan (ITU-T E.300 Sup. 3) and Telcordia GR-506-CORE; for the
// UK, BT SIN 350. See pbx/tone for the sending side; the two are written
// separately on purpose.
func tables() map[string][]cadence {
	const usDial1, usDial2 = 350, 440
	return map[string][]cadence{
		"us": {
			{name: DialTone, loop: []burst{b(0, usDial1, usDial2)}},
			// Stuttered dial tone: 10 × 0.1/0.1 s, then steady.
			{name: Stutter, intro: times(10, b(100, usDial1, usDial2), gap(100)), loop: []burst{b(0, usDial1, usDial2)}},
			{name: Ringback, loop: []burst{b(2000, 440, 480), gap(4000)}},
			{name: Busy, loop: []burst{b(500, 480, 620), gap(500)}},
			{name: Congestion, loop: []burst{b(250, 480, 620), gap(250)}},
			// 440 Hz 0.3 s, every 10 s.
			{name: CallWaiting, loop: []burst{b(300, 440), gap(9700)}, inCall: true},
			roh(),
			{name: Confirm, intro: []burst{b(100, usDial1, usDial2), gap(100), b(100, usDial1, usDial2), gap(100), b(100, usDial1, usDial2)}},
			{name: Recall, intro: times(3, b(100, usDial1, usDial2), gap(100)), loop: []burst{b(0, usDial1, usDial2)}},
			// SIT once, ahead of an announcement.
			{name: Info, intro: sitBursts()},
		},
		"uk": {
			{name: DialTone, loop: []burst{b(0, 350, 440)}},
			// Special dial tone: 350 Hz on/off 0.75 s over steady 440 Hz.
			{name: Stutter, loop: []burst{b(750, 350, 440), b(750, 440)}},
			{name: Ringback, loop: []burst{b(400, 400, 450), gap(200), b(400, 400, 450), gap(2000)}},
			{name: Busy, loop: []burst{b(375, 400), gap(375)}},
			{name: Congestion, loop: []burst{b(400, 400), gap(350), b(225, 400), gap(525)}},
			{name: CallWaiting, loop: []burst{b(100, 400), gap(4000)}, inCall: true},
			roh(),
			{name: Confirm, loop: []burst{b(0, 1400)}},
			{name: Info, loop: append(sitBursts(), gap(1000))},
		},
		"de": {
			{name: DialTone, loop: []burst{b(0, 425)}},
			// Special dial tone 425+400 Hz, continuous.
			{name: Stutter, loop: []burst{b(0, 425, 400)}},
			{name: Ringback, loop: []burst{b(1000, 425), gap(4000)}},
			{name: Busy, loop: []burst{b(480, 425), gap(480)}},
			{name: Congestion, loop: []burst{b(240, 425), gap(240)}},
			{name: CallWaiting, loop: []burst{b(200, 425), gap(200), b(200, 425), gap(5000)}, inCall: true},
			roh(),
			{name: Confirm, intro: []burst{b(100, 425), gap(100), b(100, 425), gap(100), b(100, 425)}},
			{name: Recall, intro: times(3, b(100, 425), gap(100)), loop: []burst{b(0, 425)}},
			{name: Info, loop: append(sitBursts(), gap(1000))},
		},
	}
}

// Tolerances of the cadence matcher.
const (
	tolerance = 0.20                  // ±20 % of every nominal duration…
	slack     = 25 * time.Millisecond // …plus this, for edge effects
	// lag is how far the label stream may trail the audio (the analysis
	// window); a running segment is judged too long only past max + lag.
	lag = 50 * time.Millisecond
	// minContinuous is the least a continuous tone must last when no
	// burst of another tone shares its frequencies.
	minContinuous = 60 * time.Millisecond
	// finishGuard is the least quiet (of its own frequencies) after a tone
	// that ends before it counts as finished.
	finishGuard = 500 * time.Millisecond
)
