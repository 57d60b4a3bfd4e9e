package tonerx

import (
	"math"
	"testing"
	"time"
)

func TestMaxHypsHeadroom(t *testing.T) {
	for c, freqs := range map[string][]float64{"us": {480, 620}, "uk": {400}, "de": {425}} {
		r, _ := New(c)
		t0 := time.Unix(0, 0)
		peak := 0
		var f [160]int16
		// Bursts of assorted lengths on the frequencies most tones share: a
		// worst case for the number of candidates followed at once.
		lens := []int{100, 200, 240, 480, 375, 400, 225, 300}
		n := 0
		for k := 0; k < 400; k++ {
			on := lens[k%len(lens)] * 8
			for i := range on + on {
				v := 0.0
				if i < on {
					for _, fr := range freqs {
						v += 3000 * math.Sin(2*math.Pi*fr*float64(n)/8000)
					}
				}
				f[n%160] = int16(v)
				n++
				if n%160 == 0 {
					r.Feed(&f, t0.Add(time.Duration(n-160)*125*time.Microsecond))
					peak = max(peak, r.nh)
				}
			}
		}
		t.Logf("%s: peak %d of %d candidates", c, peak, maxHyps)
		if peak >= maxHyps/2 {
			t.Errorf("%s: %d candidates at once; raise maxHyps", c, peak)
		}
	}
}

// The silence thresholds are written out as numbers (constants cannot
// call math.Pow); keep them in step with silenceDBm0.
func TestThresholdConstants(t *testing.T) {
	e := refPeak * refPeak / 2 * math.Pow(10, silenceDBm0/10) * blockLen
	a := refPeak * math.Pow(10, silenceDBm0/20)
	if math.Abs(energyThreshold/e-1) > 1e-12 || math.Abs(ampThreshold/a-1) > 1e-12 {
		t.Errorf("thresholds %v, %v; want %v, %v", energyThreshold, ampThreshold, e, a)
	}
}

// TestPatterns checks the resolved tables: tolerance windows around each
// nominal time, continuous tones outlasting every burst of their
// frequencies, and the signatures they share.
func TestPatterns(t *testing.T) {
	_, sigs, pats := build(tables()["de"])
	if len(sigs) != 6 { // 425; 425+400; quad; 950; 1400; 1800
		t.Errorf("de: %d signatures", len(sigs))
	}
	byName := map[Name]pattern{}
	for _, p := range pats {
		byName[p.name] = p
	}
	busy := byName[Busy].steps[0]
	if busy.min != 359*time.Millisecond || busy.max != 601*time.Millisecond {
		t.Errorf("de busy on: %v..%v, want 359ms..601ms", busy.min, busy.max)
	}
	// Dial tone must outlast ringback's 1 s burst (+20 % + 25 ms).
	if d := byName[DialTone].steps[0]; d.max != 0 || d.min != 1225*time.Millisecond {
		t.Errorf("de dial: %v..%v", d.min, d.max)
	}
	// Stutter (425+400) shares its signature with no burst: minContinuous.
	if d := byName[Stutter].steps[0]; d.min != minContinuous {
		t.Errorf("de stutter min %v", d.min)
	}
	if cw := byName[CallWaiting]; !cw.inCall || len(cw.entries) != 2 {
		t.Errorf("de callwaiting %+v", cw)
	}
}
