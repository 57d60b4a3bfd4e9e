package main

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// boot runs one Choose and, when healthy, the MarkGood the supervisor would do.
func boot(s BootState, healthy bool) (Slot, BootState) {
	slot, s := s.Choose()
	if healthy {
		s = s.MarkGood(slot)
	}
	return slot, s
}

func TestSlotScenarios(t *testing.T) {
	type step struct {
		try     Slot // install into this slot before booting ("" = no install)
		healthy bool // the daemon on the booted slot reaches /api/v1/health
		want    Slot // slot that must boot
	}
	tests := []struct {
		name        string
		steps       []step
		wantPrimary Slot
		wantFailed  Slot
	}{
		{"fresh card boots A", []step{{"", true, SlotA}, {"", true, SlotA}}, SlotA, ""},
		{"good update switches to B", []step{{SlotB, true, SlotB}, {"", true, SlotB}}, SlotB, ""},
		{"bad update falls back to A", []step{{SlotB, false, SlotB}, {"", true, SlotA}, {"", true, SlotA}}, SlotA, SlotB},
		{"B crashes on every boot: tried once only", []step{{SlotB, false, SlotB}, {"", false, SlotA}, {"", false, SlotA}}, SlotA, SlotB},
		{"retry after a failed update", []step{{SlotB, false, SlotB}, {"", true, SlotA}, {SlotB, true, SlotB}}, SlotB, ""},
		{"two updates in a row alternate slots", []step{{SlotB, true, SlotB}, {SlotA, true, SlotA}, {"", true, SlotA}}, SlotA, ""},
		{"trying the primary is a no-op", []step{{SlotA, true, SlotA}, {"", true, SlotA}}, SlotA, ""},
		{"reinstall over a pending try", []step{{SlotB, false, SlotB}, {SlotB, true, SlotB}}, SlotB, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := DefaultState()
			for i, st := range tt.steps {
				if st.try != "" {
					s = s.Try(st.try)
				}
				var got Slot
				got, s = boot(s, st.healthy)
				if got != st.want {
					t.Fatalf("boot %d: booted %s, want %s (state %+v)", i, got, st.want, s)
				}
			}
			if s.Primary != tt.wantPrimary || s.Failed != tt.wantFailed {
				t.Fatalf("end state %+v, want primary %s failed %q", s, tt.wantPrimary, tt.wantFailed)
			}
			if s.Boots != len(tt.steps) {
				t.Fatalf("boots = %d, want %d", s.Boots, len(tt.steps))
			}
		})
	}
}

func TestMarkGoodOnlyPromotesAnAttemptedTry(t *testing.T) {
	s := DefaultState().Try(SlotB)
	// Installed but not yet booted: a stray mark-good from slot B's
	// perspective (impossible in practice) must not promote it.
	if got := s.MarkGood(SlotB); got.Primary != SlotA {
		t.Fatalf("MarkGood before boot promoted B: %+v", got)
	}
	// Marking the running primary good while B waits keeps the try pending.
	if got := s.MarkGood(SlotA); got.Trying != SlotB || got.Primary != SlotA {
		t.Fatalf("MarkGood(A) lost the pending try: %+v", got)
	}
}

func TestMarkBadCancelsTry(t *testing.T) {
	s := DefaultState().Try(SlotB).MarkBad(SlotB)
	if slot, _ := s.Choose(); slot != SlotA {
		t.Fatalf("booted %s after MarkBad(B)", slot)
	}
	if s.Failed != SlotB {
		t.Fatalf("Failed = %q", s.Failed)
	}
	// The primary is never marked bad: it is the only slot known to boot.
	if got := DefaultState().MarkBad(SlotA); got.Primary != SlotA {
		t.Fatalf("MarkBad(primary) changed the primary: %+v", got)
	}
}

func TestParseSlot(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Slot
		err  bool
	}{{"A", SlotA, false}, {"b", SlotB, false}, {"C", "", true}, {"", "", true}} {
		got, err := ParseSlot(tt.in)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("ParseSlot(%q) = %q, %v", tt.in, got, err)
		}
		if tt.err && !errors.Is(err, ErrBadSlot) {
			t.Errorf("ParseSlot(%q) error %v is not ErrBadSlot", tt.in, err)
		}
	}
	if SlotA.Other() != SlotB || SlotB.Other() != SlotA {
		t.Fatal("Other is not an involution")
	}
}

func TestStateFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "boot", "slot.json")
	s, err := LoadState(path)
	if err != nil || s != DefaultState() {
		t.Fatalf("missing file: %+v, %v", s, err)
	}
	_, s = DefaultState().Try(SlotB).Choose()
	if err := SaveState(path, s); err != nil {
		t.Fatal(err)
	}
	got, err := LoadState(path)
	if err != nil || got != s {
		t.Fatalf("round trip: %+v, %v; want %+v", got, err, s)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	for _, bad := range []string{"{", `{"primary":"C"}`} {
		if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if s, err := LoadState(path); err == nil || s != DefaultState() {
			t.Fatalf("corrupt %q: %+v, %v; want DefaultState and an error", bad, s, err)
		}
	}
}
