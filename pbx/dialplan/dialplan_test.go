package dialplan

import (
	"errors"
	"testing"
)

func TestMatch(t *testing.T) {
	p, err := New([]Entry{
		{Pattern: "100", Kind: Extension, Target: "100"},
		{Pattern: "101", Kind: Extension, Target: "101"},
		{Pattern: "2XX", Kind: Extension, Target: "2xx"},
		{Pattern: "*72", Kind: Feature, Target: "forward"},
		{Pattern: "9.", Kind: Trunk, Target: "provider"},
		{Pattern: "[3-4]5", Kind: App, Target: "conf"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		digits string
		want   Result
		target string
	}{
		{"", More, ""},
		{"1", More, ""},
		{"10", More, ""},
		{"100", Complete, "100"},
		{"101", Complete, "101"},
		{"102", Impossible, ""},
		{"1000", Impossible, ""},
		{"250", Complete, "2xx"},
		{"25", More, ""},
		{"*", More, ""},
		{"*72", Complete, "forward"},
		{"*73", Impossible, ""},
		{"9", More, ""},
		{"91", Ambiguous, "provider"},
		{"9123456", Ambiguous, "provider"},
		{"45", Complete, "conf"},
		{"55", Impossible, ""},
		{"#", Impossible, ""},
	} {
		got, e := p.Match(c.digits)
		if got != c.want || e.Target != c.target {
			t.Errorf("Match(%q) = %v %q, want %v %q", c.digits, got, e.Target, c.want, c.target)
		}
	}
}

func TestOverlap(t *testing.T) {
	for _, c := range []struct {
		a, b string
		bad  bool
	}{
		{"100", "101", false},
		{"100", "1000", true},
		{"10", "100", true},
		{"9.", "91", true},  // Wildix 91 paging vs Allworx 9 outside line
		{"6XX", "60", true}, // Allworx 6+ext vs Wildix 60
		{"2XX", "3XX", false},
		{"*7", "*72", true},
		{"*72", "*73", false},
		{"[1-3]00", "400", false},
		{"[1-3]00", "200", true},
		{"5!", "6", false},
	} {
		_, err := New([]Entry{{Pattern: c.a, Source: "a"}, {Pattern: c.b, Source: "b"}})
		if (err != nil) != c.bad {
			t.Errorf("%q vs %q: err = %v, want overlap %v", c.a, c.b, err, c.bad)
		}
		if err != nil && !errors.Is(err, ErrOverlap) {
			t.Errorf("%q vs %q: %v is not ErrOverlap", c.a, c.b, err)
		}
	}
}

func TestBadPattern(t *testing.T) {
	for _, pat := range []string{"", "1.2", "1[", "1[]", "12a"} {
		if _, err := New([]Entry{{Pattern: pat}}); err == nil {
			t.Errorf("pattern %q accepted", pat)
		}
	}
}
