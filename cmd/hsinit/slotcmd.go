package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
)

// ErrUsage is returned for a malformed slot or rauc-backend command line.
var ErrUsage = errors.New("usage")

// currentFn tells which slot runs; tests replace it (the box compares device numbers).
type currentFn func() (Slot, bool)

func bootedSlot() (Slot, bool) {
	parts, _ := ScanPartitions("/sys/class/block", "/dev")
	return currentSlot(FindAB(parts))
}

// runSlotCmd is "hsinit slot ...": what an installer or hsctl update uses.
func runSlotCmd(args []string, out io.Writer, path string) int {
	if err := slotCmd(args, out, path, bootedSlot); err != nil {
		fmt.Fprintln(os.Stderr, "hsinit slot:", err)
		return 1
	}
	return 0
}

func slotCmd(args []string, out io.Writer, path string, current currentFn) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: slot status|try A|B|mark-good [A|B]|mark-bad A|B", ErrUsage)
	}
	st, err := LoadState(path)
	if err != nil {
		return err
	}
	arg := func() (Slot, error) {
		if len(args) < 2 {
			if cur, ok := current(); ok && args[0] == "mark-good" {
				return cur, nil
			}
			return "", fmt.Errorf("%w: %s needs a slot (A or B)", ErrUsage, args[0])
		}
		return ParseSlot(args[1])
	}
	var next BootState
	switch args[0] {
	case "status":
		cur, ok := current()
		if !ok {
			cur = "?"
		}
		fmt.Fprintf(out, "booted=%s primary=%s trying=%s attempted=%t failed=%s boots=%d\n",
			cur, st.Primary, dash(st.Trying), st.Attempted, dash(st.Failed), st.Boots)
		return nil
	case "try":
		s, err := arg()
		if err != nil {
			return err
		}
		next = st.Try(s)
	case "mark-good":
		s, err := arg()
		if err != nil {
			return err
		}
		next = st.MarkGood(s)
	case "mark-bad":
		s, err := arg()
		if err != nil {
			return err
		}
		next = st.MarkBad(s)
	default:
		return fmt.Errorf("%w: unknown slot command %q", ErrUsage, args[0])
	}
	return SaveState(path, next)
}

func dash(s Slot) string {
	if s == "" {
		return "-"
	}
	return string(s)
}

// runRaucBackend is RAUC's custom bootloader backend
// (system.conf: bootloader=custom, [handlers] bootloader-custom-backend=
// /usr/bin/hsinit-rauc-backend, a wrapper that runs "hsinit rauc-backend").
// RAUC calls set-primary on the slot it has just written: here that means
// "try it once", and only a healthy daemon makes it the primary.
func runRaucBackend(args []string, out io.Writer, path string) int {
	if err := raucBackend(args, out, path, bootedSlot); err != nil {
		slog.New(slog.NewTextHandler(os.Stderr, nil)).Error("rauc-backend", "err", err)
		return 1
	}
	return 0
}

func raucBackend(args []string, out io.Writer, path string, current currentFn) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: rauc-backend get-primary|set-primary S|get-state S|set-state S good|bad|get-current", ErrUsage)
	}
	st, err := LoadState(path)
	if err != nil {
		return err
	}
	slotArg := func(i int) (Slot, error) {
		if len(args) <= i {
			return "", fmt.Errorf("%w: %s needs a slot", ErrUsage, args[0])
		}
		return ParseSlot(args[i])
	}
	switch args[0] {
	case "get-primary":
		// The slot the next boot will use.
		next, _ := st.Choose()
		fmt.Fprintln(out, next)
		return nil
	case "get-current":
		cur, ok := current()
		if !ok {
			return errors.New("cannot tell the booted slot")
		}
		fmt.Fprintln(out, cur)
		return nil
	case "set-primary":
		s, err := slotArg(1)
		if err != nil {
			return err
		}
		return SaveState(path, st.Try(s))
	case "get-state":
		s, err := slotArg(1)
		if err != nil {
			return err
		}
		state := "good"
		if st.Failed == s {
			state = "bad"
		}
		fmt.Fprintln(out, state)
		return nil
	case "set-state":
		s, err := slotArg(1)
		if err != nil {
			return err
		}
		if len(args) < 3 {
			return fmt.Errorf("%w: set-state needs good or bad", ErrUsage)
		}
		switch args[2] {
		case "good":
			return SaveState(path, st.MarkGood(s))
		case "bad":
			return SaveState(path, st.MarkBad(s))
		}
		return fmt.Errorf("%w: set-state %s %q", ErrUsage, s, args[2])
	}
	return fmt.Errorf("%w: unknown rauc-backend command %q", ErrUsage, args[0])
}
