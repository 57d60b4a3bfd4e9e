package dialplan

import (
	"errors"
	"fmt"
	"strings"
)

// Kind says what a pattern leads to.
type Kind uint8

// Pattern kinds.
const (
	Extension Kind = iota + 1 // a user's extension: ring their devices
	Feature                   // a feature code (*72, 60…)
	Trunk                     // an outside line through a provider
	App                       // a PBX application (voicemail, conference…)
)

var kindNames = [...]string{"", "extension", "feature", "trunk", "app"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind?"
}

// Entry is one line of the dial plan.
type Entry struct {
	// Pattern is matched against the dialled digits: literal digits, * and #;
	// X any digit, Z 1–9, N 2–9, [1-5] a set; a trailing . means one or more
	// further digits and a trailing ! zero or more.
	Pattern string
	Kind    Kind
	Target  string // extension, feature name, trunk name or app name
	Source  string // where it was defined, for error messages
}

// Result is the answer for a number being dialled.
type Result uint8

// Match results.
const (
	Impossible Result = iota // no pattern can match, whatever follows
	More                     // a pattern may match with more digits
	Complete                 // exactly one pattern matches and none needs more digits
	Ambiguous                // a pattern matches, but another may match with more digits: wait for the timeout
)

var resultNames = [...]string{"impossible", "more", "complete", "ambiguous"}

func (r Result) String() string { return resultNames[r] }

// Plan is an immutable set of patterns.
type Plan struct {
	entries []Entry
	parsed  [][]elem // entries' patterns, parsed once
}

// ErrOverlap is wrapped by New when two patterns can match the same number
// or one can match a prefix of the other.
var ErrOverlap = errors.New("dialplan: overlapping patterns")

// New checks and builds a plan. Two patterns that could both match one number,
// or one of which matches a prefix of the other's numbers, are an error naming both.
func New(entries []Entry) (*Plan, error) {
	for i, e := range entries {
		if err := validate(e.Pattern); err != nil {
			return nil, fmt.Errorf("dialplan: %s: pattern %q: %w", e.Source, e.Pattern, err)
		}
		for _, o := range entries[:i] {
			if overlaps(parse(e.Pattern), parse(o.Pattern)) {
				return nil, fmt.Errorf("%w: %q (%s %s, %s) and %q (%s %s, %s)", ErrOverlap,
					o.Pattern, o.Kind, o.Target, o.Source, e.Pattern, e.Kind, e.Target, e.Source)
			}
		}
	}
	p := &Plan{entries: append([]Entry(nil), entries...)}
	for _, e := range p.entries {
		p.parsed = append(p.parsed, parse(e.Pattern))
	}
	return p, nil
}

// Match classifies digits. For Complete and Ambiguous it returns the entry
// that matches now.
func (p *Plan) Match(digits string) (Result, Entry) {
	var (
		full  *Entry
		more  bool
		fullN int
	)
	for i := range p.entries {
		e := &p.entries[i]
		m, needMore := match(p.parsed[i], digits)
		if m {
			full = e
			fullN++
		}
		if needMore {
			more = true
		}
	}
	switch {
	case full != nil && !more && fullN == 1:
		return Complete, *full
	case full != nil:
		return Ambiguous, *full
	case more:
		return More, Entry{}
	}
	return Impossible, Entry{}
}

// Entries returns a copy of the plan's entries.
func (p *Plan) Entries() []Entry { return append([]Entry(nil), p.entries...) }

// elem is one position of a pattern: the set of keys it accepts.
type elem struct {
	set  string // accepted keys
	tail byte   // '.', '!' or 0: this element repeats (one or more, zero or more)
}

const keys = "0123456789*#"

func validate(pat string) error {
	if pat == "" {
		return errors.New("empty")
	}
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch {
		case strings.IndexByte(keys, c) >= 0, c == 'X', c == 'Z', c == 'N':
		case c == '.' || c == '!':
			if i != len(pat)-1 {
				return fmt.Errorf("%q only at the end", c)
			}
		case c == '[':
			j := strings.IndexByte(pat[i:], ']')
			if j < 2 {
				return errors.New("unclosed or empty [")
			}
			i += j
		default:
			return fmt.Errorf("bad character %q", c)
		}
	}
	return nil
}

func parse(pat string) []elem {
	var out []elem
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch c {
		case 'X':
			out = append(out, elem{set: "0123456789"})
		case 'Z':
			out = append(out, elem{set: "123456789"})
		case 'N':
			out = append(out, elem{set: "23456789"})
		case '.', '!':
			// Any further digits: a repeating any-key element.
			out = append(out, elem{set: keys, tail: c})
		case '[':
			j := i + strings.IndexByte(pat[i:], ']')
			out = append(out, elem{set: expand(pat[i+1 : j])})
			i = j
		default:
			out = append(out, elem{set: string(c)})
		}
	}
	return out
}

// expand turns a set like "1-58" into its keys.
func expand(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i+2 < len(s) && s[i+1] == '-' {
			for c := s[i]; c <= s[i+2]; c++ {
				b.WriteByte(c)
			}
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// match reports whether digits match pat completely, and whether more
// digits could extend digits into a (longer) match.
func match(pat []elem, digits string) (full, more bool) {
	i := 0
	for _, e := range pat {
		if e.tail != 0 {
			for ; i < len(digits); i++ {
				if strings.IndexByte(e.set, digits[i]) < 0 {
					return false, false
				}
			}
			return e.tail == '!' || i > countFixed(pat), true
		}
		if i == len(digits) {
			return false, true
		}
		if strings.IndexByte(e.set, digits[i]) < 0 {
			return false, false
		}
		i++
	}
	return i == len(digits), false
}

func countFixed(pat []elem) int {
	n := 0
	for _, e := range pat {
		if e.tail == 0 {
			n++
		}
	}
	return n
}

// overlaps reports whether some number matches a and also matches b or a
// prefix of b's numbers (or the other way round): then digit collection could
// never tell them apart without waiting.
func overlaps(a, b []elem) bool {
	for i := 0; ; i++ {
		if i == len(a) || i == len(b) {
			return true // one is a prefix of the other
		}
		ea, eb := a[i], b[i]
		if ea.tail != 0 || eb.tail != 0 {
			return intersect(ea.set, eb.set) || (ea.tail == '!' || eb.tail == '!')
		}
		if !intersect(ea.set, eb.set) {
			return false
		}
	}
}

func intersect(a, b string) bool {
	for i := 0; i < len(a); i++ {
		if strings.IndexByte(b, a[i]) >= 0 {
			return true
		}
	}
	return false
}
