package main

import (
	"errors"
	"fmt"
)

// Slot names a root filesystem slot. The names match RAUC's bootname
// convention ("A", "B") so the custom bootloader backend can pass them through.
type Slot string

// The two root slots of the A/B layout.
const (
	SlotA Slot = "A"
	SlotB Slot = "B"
)

// ErrBadSlot is returned for a slot name that is neither A nor B.
var ErrBadSlot = errors.New("slot: unknown slot name")

// ParseSlot accepts "A" or "B" (also lower case).
func ParseSlot(s string) (Slot, error) {
	switch s {
	case "A", "a":
		return SlotA, nil
	case "B", "b":
		return SlotB, nil
	}
	return "", fmt.Errorf("%w %q", ErrBadSlot, s)
}

// Other returns the slot that is not s: the install target while s runs.
func (s Slot) Other() Slot {
	if s == SlotA {
		return SlotB
	}
	return SlotA
}

// BootState is what survives reboots: the known-good slot and at most one
// slot waiting to be tried once. It is the whole of the rollback logic, kept
// free of I/O so every transition is unit-tested.
//
// The transitions follow RAUC's model (primary slot, try once, mark good or
// bad): install → Try; boot → Choose; daemon healthy → MarkGood.
type BootState struct {
	Primary   Slot `json:"primary"`             // last slot marked good
	Trying    Slot `json:"trying,omitempty"`    // slot to boot once, "" if none
	Attempted bool `json:"attempted,omitempty"` // Trying has been booted and not yet marked good
	Failed    Slot `json:"failed,omitempty"`    // last slot whose try did not come up healthy
	Boots     int  `json:"boots"`               // number of Choose calls, for the log
}

// DefaultState is the state of a freshly flashed card: slot A is good.
func DefaultState() BootState { return BootState{Primary: SlotA} }

// Choose decides which slot to boot now and returns the state to persist
// before booting it. Persisting first is what makes the try "once": if the
// tried slot never reaches MarkGood, the next Choose sees Attempted and falls
// back to Primary.
func (s BootState) Choose() (Slot, BootState) {
	if s.Primary == "" {
		s.Primary = SlotA
	}
	s.Boots++
	switch {
	case s.Trying != "" && !s.Attempted:
		s.Attempted = true
		return s.Trying, s
	case s.Trying != "" && s.Attempted:
		s.Failed, s.Trying, s.Attempted = s.Trying, "", false
		return s.Primary, s
	}
	return s.Primary, s
}

// Try marks slot to be booted once on the next boot (after an install into it).
// Trying the primary slot itself is a no-op request for a slot that is already good.
func (s BootState) Try(slot Slot) BootState {
	if slot == s.Primary {
		s.Trying, s.Attempted = "", false
		return s
	}
	s.Trying, s.Attempted = slot, false
	if s.Failed == slot {
		s.Failed = ""
	}
	return s
}

// MarkGood records that the running slot came up healthy. A slot that is
// being tried becomes the primary; marking the primary good changes nothing.
func (s BootState) MarkGood(running Slot) BootState {
	if running == s.Trying && s.Attempted {
		s.Primary, s.Trying, s.Attempted = running, "", false
		if s.Failed == running {
			s.Failed = ""
		}
	}
	return s
}

// MarkBad records that slot must not be booted: a pending try of it is
// cancelled. The primary cannot be marked bad while it is the only good slot.
func (s BootState) MarkBad(slot Slot) BootState {
	if slot == s.Trying {
		s.Trying, s.Attempted, s.Failed = "", false, slot
	}
	return s
}
