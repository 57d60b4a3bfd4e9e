package rtpstats

import "testing"

func feed(s *Source, seqs ...uint16) []Verdict {
	v := make([]Verdict, len(seqs))
	for i, q := range seqs {
		v[i] = s.Update(q)
	}
	return v
}

func TestSequences(t *testing.T) {
	tests := []struct {
		name     string
		seqs     []uint16
		verdicts []Verdict
		expected uint32
		lost     int64
		bursts   uint64
	}{
		{
			name:     "in order",
			seqs:     []uint16{10, 11, 12, 13},
			verdicts: []Verdict{Probation, Valid, Valid, Valid},
			expected: 3, lost: 0,
		},
		{
			name:     "one lost, one burst of two",
			seqs:     []uint16{10, 11, 13, 14, 17},
			verdicts: []Verdict{Probation, Valid, Valid, Valid, Valid},
			expected: 7, lost: 3, bursts: 2,
		},
		{
			name:     "reordered packet fills its gap",
			seqs:     []uint16{10, 11, 13, 12, 14},
			verdicts: []Verdict{Probation, Valid, Valid, Valid, Valid},
			expected: 4, lost: 0, bursts: 1,
		},
		{
			name:     "duplicates make loss negative",
			seqs:     []uint16{10, 11, 12, 12, 13},
			verdicts: []Verdict{Probation, Valid, Valid, Valid, Valid},
			expected: 3, lost: -1,
		},
		{
			name:     "wrap-around",
			seqs:     []uint16{65534, 65535, 0, 1},
			verdicts: []Verdict{Probation, Valid, Valid, Valid},
			expected: 3, lost: 0,
		},
		{
			name:     "probation restarts on a gap",
			seqs:     []uint16{10, 20, 21, 22},
			verdicts: []Verdict{Probation, Probation, Valid, Valid},
			expected: 2, lost: 0,
		},
		{
			name:     "a lone big jump is bad; two in sequence restart",
			seqs:     []uint16{10, 11, 12, 30000, 13, 40000, 40001, 40002},
			verdicts: []Verdict{Probation, Valid, Valid, Bad, Valid, Bad, Restarted, Valid},
			expected: 2, lost: 0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s Source
			got := feed(&s, tc.seqs...)
			for i := range got {
				if got[i] != tc.verdicts[i] {
					t.Errorf("seq %d: %v, want %v", tc.seqs[i], got[i], tc.verdicts[i])
				}
			}
			if s.Expected() != tc.expected || s.Lost() != tc.lost {
				t.Errorf("expected %d lost %d, want %d %d", s.Expected(), s.Lost(), tc.expected, tc.lost)
			}
			if b, _ := s.Bursts(); b != tc.bursts {
				t.Errorf("bursts %d, want %d", b, tc.bursts)
			}
		})
	}
}

func TestProbationOne(t *testing.T) {
	s := Source{Probation: 1}
	got := feed(&s, 11, 10, 13, 12)
	want := []Verdict{Valid, Valid, Valid, Valid}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("packet %d: %v", i, got[i])
		}
	}
	if s.Expected() != 3 || s.Lost() != -1 { // base 11: 10 is before the base, counted as a duplicate would be
		t.Errorf("expected %d lost %d", s.Expected(), s.Lost())
	}
	s.Reset()
	if feed(&s, 500)[0] != Valid {
		t.Error("Reset lost the probation setting")
	}
}

func TestReportIntervals(t *testing.T) {
	var s Source
	feed(&s, 1, 2, 3, 4, 5) // 4 valid after probation, none lost
	if f, c, m := s.Report(); f != 0 || c != 0 || m != 5 {
		t.Errorf("first report %d %d %d", f, c, m)
	}
	feed(&s, 6, 8, 10, 12) // 7 expected (6..12), 4 received: 3 lost
	f, c, m := s.Report()
	if f != 3*256/7 || c != 3 || m != 12 {
		t.Errorf("second report fraction %d cum %d max %d", f, c, m)
	}
	if f, c, _ := s.Report(); f != 0 || c != 3 {
		t.Errorf("empty interval %d %d", f, c)
	}
	s.Reset()
	if s.Expected() != 0 || s.Lost() != 0 {
		t.Error("reset kept counts")
	}
	if b, l := s.Bursts(); b != 3 || l != 3 {
		t.Errorf("bursts after reset %d %d", b, l)
	}
}

func TestNoAllocations(t *testing.T) {
	var s Source
	q := uint16(0)
	if n := testing.AllocsPerRun(1000, func() { s.Update(q); q++ }); n != 0 {
		t.Errorf("%v allocs", n)
	}
}
