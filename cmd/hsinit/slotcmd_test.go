package main

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestRaucInstallFlow drives the backend the way RAUC does around an install
// from slot A into slot B, then the boots that follow.
func TestRaucInstallFlow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "slot.json")
	runningA := func() (Slot, bool) { return SlotA, true }
	run := func(args ...string) string {
		t.Helper()
		var out strings.Builder
		if err := raucBackend(args, &out, path, runningA); err != nil {
			t.Fatalf("rauc-backend %v: %v", args, err)
		}
		return strings.TrimSpace(out.String())
	}
	if got := run("get-current"); got != "A" {
		t.Fatalf("get-current = %q", got)
	}
	if got := run("get-primary"); got != "A" {
		t.Fatalf("fresh get-primary = %q", got)
	}
	run("set-primary", "B") // RAUC wrote slot B
	if got := run("get-primary"); got != "B" {
		t.Fatalf("after install get-primary = %q, want B (tried next boot)", got)
	}
	st, _ := LoadState(path)
	if st.Primary != SlotA || st.Trying != SlotB {
		t.Fatalf("install must not make B primary before it is healthy: %+v", st)
	}
	// Boot B, which never becomes healthy; the boot after falls back.
	_, st = st.Choose()
	_, st = st.Choose()
	if err := SaveState(path, st); err != nil {
		t.Fatal(err)
	}
	if got := run("get-state", "B"); got != "bad" {
		t.Fatalf("get-state B after a failed try = %q", got)
	}
	if got := run("get-state", "A"); got != "good" {
		t.Fatalf("get-state A = %q", got)
	}
}

func TestSlotCmd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "slot.json")
	runningB := func() (Slot, bool) { return SlotB, true }
	var out strings.Builder
	steps := [][]string{{"try", "B"}}
	for _, args := range steps {
		if err := slotCmd(args, &out, path, runningB); err != nil {
			t.Fatal(err)
		}
	}
	st, _ := LoadState(path)
	_, st = st.Choose()
	if err := SaveState(path, st); err != nil {
		t.Fatal(err)
	}
	if err := slotCmd([]string{"mark-good"}, &out, path, runningB); err != nil { // slot defaults to the booted one
		t.Fatal(err)
	}
	if err := slotCmd([]string{"status"}, &out, path, runningB); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "booted=B primary=B trying=- attempted=false failed=- boots=1\n" {
		t.Fatalf("status = %q", got)
	}
	for _, bad := range [][]string{nil, {"try"}, {"try", "C"}, {"frobnicate"}} {
		if err := slotCmd(bad, &out, path, runningB); err == nil {
			t.Errorf("slot %v: no error", bad)
		}
	}
	if err := raucBackend([]string{"set-state", "A", "maybe"}, &out, path, runningB); !errors.Is(err, ErrUsage) {
		t.Errorf("set-state maybe: %v", err)
	}
}
