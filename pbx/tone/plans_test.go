package tone

import (
	"fmt"
	"strings"
	"testing"
)

// notation writes a spec the way the standards' tables read: freqs@level/ms
// per part, "!" before parts played once, "/0" for forever.
func notation(s Spec) string {
	var b strings.Builder
	for i, p := range s.Parts {
		if i > 0 {
			b.WriteString(",")
		}
		if p.Once {
			b.WriteString("!")
		}
		if p.Silent() {
			b.WriteString("0")
		}
		for j, f := range p.Freqs {
			if f == 0 {
				continue
			}
			if j > 0 {
				b.WriteString("+")
			}
			fmt.Fprintf(&b, "%d@%d", f, p.Level[j])
		}
		fmt.Fprintf(&b, "/%d", p.Dur.Milliseconds())
	}
	return b.String()
}

// TestPlanValues pins the transcription of the standards (see plans.go for
// each row's source) so an edit to a table is a visible, reviewed change.
func TestPlanValues(t *testing.T) {
	const us2 = "350@-16+440@-16"
	burst := func(n int, f string) string {
		return strings.TrimSuffix(strings.Repeat("!"+f+"/100,!0/100,", n), ",")
	}
	howl := "1400@-9+2060@-9+2450@-9+2600@-9/100,0/100"
	sit := "950@-13/330,1400@-13/330,1800@-13/330"
	want := map[string]string{
		"us dialtone":    us2 + "/0",
		"us stutter":     burst(10, us2) + "," + us2 + "/0",
		"us ringback":    "440@-16+480@-16/2000,0/4000",
		"us busy":        "480@-16+620@-16/500,0/500",
		"us congestion":  "480@-16+620@-16/250,0/250",
		"us callwaiting": "440@-13/300,0/9700",
		"us howler":      howl,
		"us confirm":     burst(2, us2) + ",!" + us2 + "/100",
		"us dialrecall":  burst(3, us2) + "," + us2 + "/0",
		"us info":        "!950@-13/330,!1400@-13/330,!1800@-13/330",
		"uk dialtone":    us2 + "/0",
		"uk stutter":     us2 + "/750,440@-16/750",
		"uk ringback":    "400@-16+450@-16/400,0/200,400@-16+450@-16/400,0/2000",
		"uk busy":        "400@-13/375,0/375",
		"uk congestion":  "400@-19/400,0/350,400@-13/225,0/525",
		"uk callwaiting": "400@-13/100,0/4000",
		"uk howler":      howl,
		"uk confirm":     "1400@-13/0",
		"uk info":        sit + ",0/1000",
		"de dialtone":    "425@-13/0",
		"de stutter":     "425@-16+400@-16/0",
		"de ringback":    "425@-13/1000,0/4000",
		"de busy":        "425@-13/480,0/480",
		"de congestion":  "425@-13/240,0/240",
		"de callwaiting": "425@-13/200,0/200,425@-13/200,0/5000",
		"de howler":      howl,
		"de confirm":     burst(2, "425@-13") + ",!425@-13/100",
		"de dialrecall":  burst(3, "425@-13") + ",425@-13/0",
		"de info":        sit + ",0/1000",
	}
	seen := 0
	for _, c := range Countries() {
		p, _ := PlanFor(c)
		for n, s := range p.Tones {
			key := c + " " + string(n)
			w, ok := want[key]
			if !ok {
				t.Errorf("%s: not pinned here", key)
				continue
			}
			seen++
			if got := notation(s); got != w {
				t.Errorf("%s:\n got %s\nwant %s", key, got, w)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("%d tones pinned but only %d in the plans", len(want), seen)
	}
	ring := map[string]string{"us": "[2s 4s] 20", "uk": "[400ms 200ms 400ms 2s] 25", "de": "[1s 4s] 25"}
	for c, w := range ring {
		p, _ := PlanFor(c)
		if got := fmt.Sprintf("%v %d", p.Ring, p.RingHz); got != w {
			t.Errorf("%s ring = %s, want %s", c, got, w)
		}
	}
}
