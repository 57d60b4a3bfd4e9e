package tone

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Component levels, dBm0 (see the package comment for the choice).
const (
	singleLevel = -13 // one frequency: -13 dBm0 total
	dualLevel   = -16 // each of two frequencies: -13 dBm0 total
	// howlerLevel is each of the four receiver-off-hook frequencies. Four
	// equal sines peak together at four times one amplitude, so -9 dBm0
	// each (peak 4 × 8026 = 32105) is the loudest that does not clip in
	// G.711, -3 dBm0 total. GR-506 asks for a louder ROH tone than any
	// other [verify the exact figure]; a G.711 channel cannot carry more.
	howlerLevel = -9
)

// builders maps each country to the function that builds its plan. It is a
// function of the call, not package state: PlanFor builds a fresh Plan.
func builders() map[string]func() *Plan {
	return map[string]func() *Plan{"us": planUS, "uk": planUK, "de": planDE}
}

// Countries returns the countries PlanFor knows, sorted.
func Countries() []string {
	b := builders()
	cs := make([]string, 0, len(b))
	for c := range b {
		cs = append(cs, c)
	}
	sort.Strings(cs)
	return cs
}

// PlanFor returns a fresh tone plan for country ("us", "uk", "de";
// case-insensitive). Each call builds a new Plan, so callers may modify it.
func PlanFor(country string) (*Plan, error) {
	build, ok := builders()[strings.ToLower(country)]
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownCountry, country, strings.Join(Countries(), ", "))
	}
	return build(), nil
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// on is a part sounding freqs (at most four) at level dBm0 each; d = 0 is forever.
func on(d time.Duration, level int8, freqs ...uint16) Part {
	var p Part
	p.Dur = d
	for i, f := range freqs {
		p.Freqs[i] = f
		p.Level[i] = level
	}
	return p
}

// off is a silent part.
func off(d time.Duration) Part { return Part{Dur: d} }

// spec builds a Spec whose parts before loop play once.
func spec(n Name, loop int, parts ...Part) Spec {
	for i := range parts {
		parts[i].Once = i < loop
	}
	return Spec{Name: n, Parts: parts, Loop: loop}
}

// repeat returns parts repeated n times, for intros like "3 bursts".
func repeat(n int, parts ...Part) []Part {
	out := make([]Part, 0, n*len(parts))
	for range n {
		out = append(out, parts...)
	}
	return out
}

// sit is the special information tone of ITU-T E.180 §7 (also Q.35):
// 950, 1400 and 1800 Hz (±50), each 330 ms (±70), with at most 30 ms between
// them. Played back to back here (0 ms gap, within E.180).
func sit() []Part {
	return []Part{on(ms(330), singleLevel, 950), on(ms(330), singleLevel, 1400), on(ms(330), singleLevel, 1800)}
}

// howler is the receiver-off-hook tone of Telcordia GR-506-CORE §17.2.8:
// 1400+2060+2450+2600 Hz, 100 ms on, 100 ms off. Neither E.180 Supplement 2
// nor BT SIN 350 gives a fixed UK or German howler (BT's warbles and rises),
// so all three plans use this one; vendors' UK profiles do the same (e.g.
// Zyxel IES-1248 "ROH tone" for the UK).
func howler() Spec {
	return spec(Howler, 0, on(ms(100), howlerLevel, 1400, 2060, 2450, 2600), off(ms(100)))
}

// planUS is the North American plan. Sources: ITU-T E.180 Supplement 2
// (United States entries); the Precise Tone Plan (ITU-T E.300-series
// Supplement 3, "North American precise audible tone plan"): 350, 440, 480,
// 620 Hz; Telcordia GR-506-CORE for the tones the PTP leaves out.
func planUS() *Plan {
	const dial1, dial2 = 350, 440
	return &Plan{
		Country: "us",
		// 2 s on, 4 s off at 20 Hz (E.180 Sup. 2 US ringing; GR-506).
		Ring:   []time.Duration{ms(2000), ms(4000)},
		RingHz: 20,
		Tones: map[Name]Spec{
			// Dial tone: 350+440 Hz continuous (PTP).
			Dial: spec(Dial, 0, on(0, dualLevel, dial1, dial2)),
			// Message-waiting (stuttered) dial tone: ten 100/100 ms bursts,
			// then steady (GR-506). Asterisk's sample plays six bursts.
			Stutter: spec(Stutter, 20, append(repeat(10, on(ms(100), dualLevel, dial1, dial2), off(ms(100))),
				on(0, dualLevel, dial1, dial2))...),
			// Audible ringing: 440+480 Hz, 2 s on, 4 s off (PTP).
			Ringback: spec(Ringback, 0, on(ms(2000), dualLevel, 440, 480), off(ms(4000))),
			// Busy ("low tone"): 480+620 Hz, 0.5 s on, 0.5 s off (PTP).
			Busy: spec(Busy, 0, on(ms(500), dualLevel, 480, 620), off(ms(500))),
			// Reorder: 480+620 Hz, 0.25 s on, 0.25 s off (PTP).
			Congestion: spec(Congestion, 0, on(ms(250), dualLevel, 480, 620), off(ms(250))),
			// Call waiting: 440 Hz, 300 ms, repeated every 10 s (GR-506;
			// E.180 Sup. 2 US). Asterisk's sample waits 10 s after the
			// burst (10.3 s period).
			CallWaiting: spec(CallWaiting, 0, on(ms(300), singleLevel, 440), off(ms(9700))),
			Howler:      howler(),
			// Confirmation: three 100/100 ms bursts of dial tone, then
			// silence (GR-506 confirmation tone; AT&T System 75 tone list).
			Confirm: spec(Confirm, 5, on(ms(100), dualLevel, dial1, dial2), off(ms(100)),
				on(ms(100), dualLevel, dial1, dial2), off(ms(100)), on(ms(100), dualLevel, dial1, dial2)),
			// Recall dial tone: three 100/100 ms bursts, then steady dial
			// tone (GR-506; Asterisk "dialrecall").
			Recall: spec(Recall, 6, append(repeat(3, on(ms(100), dualLevel, dial1, dial2), off(ms(100))),
				on(0, dualLevel, dial1, dial2))...),
			// SIT once, to precede an announcement (Asterisk "info";
			// E.180 frequencies rather than the T1.401 encoded SITs).
			Info: spec(Info, 3, sit()...),
		},
	}
}

// planUK is the United Kingdom plan: BT SIN 350 (the UK entry of E.180
// Supplement 2 refers to it; Asterisk's "uk" section is taken from it).
func planUK() *Plan {
	return &Plan{
		Country: "uk",
		// Double ring: 0.4 on, 0.2 off, 0.4 on, 2 s off at 25 Hz (SIN 350).
		Ring:   []time.Duration{ms(400), ms(200), ms(400), ms(2000)},
		RingHz: 25,
		Tones: map[Name]Spec{
			// Dial tone: 350+440 Hz continuous.
			Dial: spec(Dial, 0, on(0, dualLevel, 350, 440)),
			// Special dial tone (SIN 350 "special proceed indication", used
			// for waiting messages and diverts): 350 Hz interrupted
			// 750/750 ms over continuous 440 Hz, which keeps its phase.
			Stutter: spec(Stutter, 0, on(ms(750), dualLevel, 350, 440), on(ms(750), dualLevel, 440)),
			// Ringing tone: 400+450 Hz, 0.4 on, 0.2 off, 0.4 on, 2 s off.
			Ringback: spec(Ringback, 0, on(ms(400), dualLevel, 400, 450), off(ms(200)),
				on(ms(400), dualLevel, 400, 450), off(ms(2000))),
			// Busy (engaged): 400 Hz, 375 on, 375 off.
			Busy: spec(Busy, 0, on(ms(375), singleLevel, 400), off(ms(375))),
			// Congestion (path engaged): 400 Hz 400 on, 350 off, 225 on,
			// 525 off; the 225 ms burst is 6 dB louder than the 400 ms one
			// (BS 6305; SIN 350).
			Congestion: spec(Congestion, 0, on(ms(400), singleLevel-6, 400), off(ms(350)),
				on(ms(225), singleLevel, 400), off(ms(525))),
			// Call waiting: 400 Hz, 100 ms on, 4 s off (Asterisk "uk").
			CallWaiting: spec(CallWaiting, 0, on(ms(100), singleLevel, 400), off(ms(4000))),
			Howler:      howler(),
			// Confirmation: 1400 Hz continuous, "used to confirm service
			// requests on exchanges that don't do voice announcements"
			// (Asterisk "uk" confirm, from SIN 350). The caller stops it.
			Confirm: spec(Confirm, 0, on(0, singleLevel, 1400)),
			// SIT, repeating with 1 s of silence (E.180 §7). Asterisk's
			// sample puts 15 ms gaps between the three frequencies; E.180
			// allows 0–30 ms and we use 0.
			Info: spec(Info, 0, append(sit(), off(ms(1000)))...),
		},
	}
}

// planDE is the German plan: ITU-T E.180 Supplement 2, Germany entries
// (where it lists variants I and II, variant I; Asterisk's "de" section
// cites the same list).
func planDE() *Plan {
	const f = 425
	return &Plan{
		Country: "de",
		// Ringing 1 s on, 4 s off (E.180 Sup. 2 ringing tone I cadence;
		// Asterisk "de"), 25 Hz.
		Ring:   []time.Duration{ms(1000), ms(4000)},
		RingHz: 25,
		Tones: map[Name]Spec{
			// Dial tone: 425 Hz continuous.
			Dial: spec(Dial, 0, on(0, singleLevel, f)),
			// Special dial tone: 425+400 Hz continuous (E.180 Sup. 2;
			// Asterisk "de" stutter). Used for waiting messages.
			Stutter: spec(Stutter, 0, on(0, dualLevel, f, 400)),
			// Ringing tone I: 1 s on, 4 s off.
			Ringback: spec(Ringback, 0, on(ms(1000), singleLevel, f), off(ms(4000))),
			// Busy tone I: 480 on, 480 off.
			Busy: spec(Busy, 0, on(ms(480), singleLevel, f), off(ms(480))),
			// Congestion tone I: 240 on, 240 off.
			Congestion: spec(Congestion, 0, on(ms(240), singleLevel, f), off(ms(240))),
			// Call waiting tone I: 200 on, 200 off, 200 on, 5 s off,
			// repeating. Asterisk's sample stops after five groups.
			CallWaiting: spec(CallWaiting, 0, on(ms(200), singleLevel, f), off(ms(200)),
				on(ms(200), singleLevel, f), off(ms(5000))),
			Howler: howler(),
			// Confirmation: E.180 Sup. 2 has no German confirmation tone;
			// three 100/100 ms bursts of dial tone, then silence, as the US
			// plan does, on 425 Hz.
			Confirm: spec(Confirm, 5, on(ms(100), singleLevel, f), off(ms(100)),
				on(ms(100), singleLevel, f), off(ms(100)), on(ms(100), singleLevel, f)),
			// Recall: three 100/100 ms bursts, then dial tone (Asterisk
			// "de" dialrecall; E.180 Sup. 2 does not specify one).
			Recall: spec(Recall, 6, append(repeat(3, on(ms(100), singleLevel, f), off(ms(100))),
				on(0, singleLevel, f))...),
			// Special information tone II: 950/1400/1800 Hz 3 × 330 ms,
			// 1 s off, repeating.
			Info: spec(Info, 0, append(sit(), off(ms(1000)))...),
		},
	}
}
