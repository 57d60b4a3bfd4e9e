package fxs

import "time"

// HookEvent is what a hook change meant.
type HookEvent uint8

// Classified hook events.
const (
	NoHook HookEvent = iota
	Lifted           // off-hook from rest
	Digit            // a rotary digit completed (Pulses breaks)
	Flash            // a hook flash (recall)
	HungUp           // on-hook for longer than a flash
)

// hookTimes are the boundaries between a contact bounce, a dial pulse, a
// flash and a hang-up, measured on the break (loop open) length.
type hookTimes struct {
	glitch       time.Duration // breaks and makes shorter than this are contact bounce
	pulseMax     time.Duration // longest break counted as a dial pulse
	flashMin     time.Duration // shortest break counted as a flash
	flashMax     time.Duration // longest break counted as a flash; longer is a hang-up
	pulseTimeout time.Duration // a make this long ends a pulse train
}

// hook classifies loop changes. Times come from the events themselves, so
// the result does not depend on when they are processed.
type hook struct {
	t       hookTimes
	off     bool      // settled state: off-hook (possibly in a break)
	broken  bool      // off-hook but the loop is open now
	brk     time.Time // start of the current break
	made    time.Time // end of the last break
	pulses  int
	pending HookEvent // an event to hand out at the next poll
	pendN   int
}

// edge feeds one loop change. dialing says whether a break of pulse length
// is a dial pulse (while collecting digits) or nothing (in a call, where only
// flashes count). It returns an event decided by this edge.
func (h *hook) edge(closed bool, at time.Time, dialing bool) (HookEvent, int) {
	switch {
	case !h.off && closed:
		h.off, h.broken, h.pulses = true, false, 0
		h.made = at
		return Lifted, 0
	case h.off && !closed && !h.broken:
		if h.pulses > 0 && at.Sub(h.made) < h.t.glitch {
			// A bounce on the make between pulses: the break goes on.
			h.broken = true
			return NoHook, 0
		}
		h.broken, h.brk = true, at
	case h.off && closed && h.broken:
		h.broken = false
		b := at.Sub(h.brk)
		switch {
		case b < h.t.glitch:
			// Contact bounce: nothing happened.
		case dialing && b <= h.t.pulseMax:
			h.pulses++
			h.made = at
		case b >= h.t.flashMin && b <= h.t.flashMax:
			if n := h.pulses; n > 0 {
				h.pulses = 0
				h.pending = Flash
				return Digit, n
			}
			return Flash, 0
		}
	}
	return NoHook, 0
}

// poll reports what the passage of time decided by now: a pulse train that
// ended, or a break long enough to be a hang-up.
func (h *hook) poll(now time.Time) (HookEvent, int) {
	if h.pending != NoHook {
		ev := h.pending
		h.pending = NoHook
		return ev, 0
	}
	if !h.off {
		return NoHook, 0
	}
	if h.broken && now.Sub(h.brk) > h.t.flashMax {
		h.off, h.broken, h.pulses = false, false, 0
		return HungUp, 0
	}
	if !h.broken && h.pulses > 0 && now.Sub(h.made) >= h.t.pulseTimeout {
		n := h.pulses
		h.pulses = 0
		return Digit, n
	}
	return NoHook, 0
}
