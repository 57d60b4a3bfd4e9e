package pbx_test

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/pbx/config"
	"github.com/hookswitch/hookswitch/pbx/core"
)

// rms is the root-mean-square level of samples.
func rms(s []int16) float64 {
	var sum float64
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	if len(s) == 0 {
		return 0
	}
	return math.Sqrt(sum / float64(len(s)))
}

// talks checks that a tone port a plays reaches port b.
func (r *rig) talks(a, b int, hz float64) {
	r.t.Helper()
	r.phone[a].Play(sine(hz, time.Second, 8000))
	r.run(800 * time.Millisecond)
	if pw := tonePower(r.phone[b].Recording(600*time.Millisecond), hz); pw < 0.9 {
		r.t.Errorf("%v Hz from port %d reaches port %d with relative power %.2f", hz, a, b, pw)
	}
	r.run(400 * time.Millisecond)
}

// hearsHoldMusic checks that port n hears the engine's hold music, not
// silence and not the tone another port plays.
func (r *rig) hearsHoldMusic(n int, notHz float64) {
	r.t.Helper()
	rec := r.phone[n].Recording(2 * time.Second)
	if v := rms(rec); v < 300 {
		r.t.Errorf("port %d on hold hears level %.0f rms, want hold music", n, v)
	}
	if pw := tonePower(rec, notHz); pw > 0.1 {
		r.t.Errorf("port %d on hold hears the other call (%.2f)", n, pw)
	}
}

// consult puts port a's call on hold with a flash and dials port c from
// the recall dial tone; c rings.
func (r *rig) consult(a, c int) {
	r.t.Helper()
	if err := r.phone[a].Flash(0); err != nil {
		r.t.Fatal(err)
	}
	r.until(3*time.Second, "recall dial tone", func() bool { h := r.heard(a); return h == "dialrecall" || h == "dialtone" })
	dial(r.t, r.phone[a], fmt.Sprint(99+c), "dtmf")
	r.until(5*time.Second, fmt.Sprintf("port %d rings", c), func() bool { return r.phone[c].Status().Ringing })
}

// transferred waits for the hang-up to be recognised (past the flash
// window) and the two calls to become one.
func (r *rig) transferred() {
	r.t.Helper()
	r.until(3*time.Second, "transfer on hang-up", func() bool { return len(r.p.Engine.Calls()) == 1 })
}

// records are the recent call records (the test steps the engine itself,
// so it may read engine state directly).
func (r *rig) records() []core.Record { return r.p.Engine.Recent() }

// Attended transfer from an analog phone: port 1 talks to port 2, flashes
// (port 2 hears hold music, port 1 recall dial tone), calls port 3, talks
// to it, and hangs up: ports 2 and 3 are connected.
func TestAnalogAttendedTransfer(t *testing.T) {
	eachBoard(t, func(t *testing.T, bd string) {
		r := newRig(t, bd, "us")
		r.connect(1, 2)
		r.talks(1, 2, 700)
		r.consult(1, 3)
		r.until(5*time.Second, "port 1 hears ringback", func() bool { return r.heard(1) == "ringback" })
		r.phone[3].OffHook()
		r.run(time.Second)
		r.talks(1, 3, 900)
		r.hearsHoldMusic(2, 900)

		r.phone[1].OnHook()
		r.transferred()
		r.talks(2, 3, 500)
		r.talks(3, 2, 1100)
		if n := len(r.p.Engine.Calls()); n != 1 {
			t.Errorf("%d calls after the transfer, want 1", n)
		}
		if s := r.phone[1].Status(); s.Hook != "on" || s.Ringing {
			t.Errorf("port 1 after transferring: %+v", s)
		}
		recs := r.records()
		if len(recs) != 2 || recs[0].Cause != "transferred" || recs[1].Cause != "transferred" {
			t.Fatalf("records %+v, want the two transferred calls", recs)
		}
		joined := r.p.Engine.Calls()[0].Record().Joined
		if want := []uint64{recs[1].ID, recs[0].ID}; !slices.Equal(joined, want) {
			t.Errorf("the new call joined %v, want %v", joined, want)
		}
	})
}

// Semi-attended transfer: port 1 hangs up while port 3 still rings; port 2
// hears ringback until port 3 answers.
func TestAnalogSemiAttendedTransfer(t *testing.T) {
	r := newRig(t, "sim-ideal-4fxs", "us")
	r.connect(1, 2)
	r.consult(1, 3)
	r.phone[1].OnHook()
	r.until(8*time.Second, "port 2 hears ringback", func() bool { return r.heard(2) == "ringback" })
	if !r.phone[3].Status().Ringing {
		t.Fatal("port 3 stopped ringing at the transfer")
	}
	r.phone[3].OffHook()
	r.run(time.Second)
	r.talks(2, 3, 600)
	r.talks(3, 2, 800)
	r.phone[2].OnHook()
	r.until(3*time.Second, "port 3 hears busy", func() bool { return r.heard(3) == "busy" })
	if n := len(r.p.Engine.Calls()); n != 0 {
		t.Errorf("%d calls left", n)
	}
}

// A semi-attended transfer nobody answers comes back: after transfer_recall
// port 3 stops ringing and port 1 rings with port 2's call; answering it
// puts ports 1 and 2 back in conversation.
func TestAnalogTransferRecall(t *testing.T) {
	r := newRig(t, "sim-ideal-4fxs", "us", func(c *config.Config) { c.TransferRecall = config.Duration(10 * time.Second) })
	r.connect(1, 2)
	r.consult(1, 3)
	r.phone[1].OnHook()
	r.until(8*time.Second, "port 2 hears ringback", func() bool { return r.heard(2) == "ringback" })
	r.run(5 * time.Second)
	if !r.phone[3].Status().Ringing || r.phone[1].Status().Ringing {
		t.Fatal("before transfer_recall: port 3 should still ring, port 1 not")
	}
	r.until(10*time.Second, "port 1 rings back", func() bool { return r.phone[1].Status().Ringing })
	// The phone calls ringing over once a cadence's silence has passed.
	r.until(8*time.Second, "port 3 stops ringing", func() bool { return !r.phone[3].Status().Ringing })
	r.phone[1].OffHook()
	r.run(time.Second)
	r.talks(1, 2, 600)
	r.talks(2, 1, 800)
}

// Flash swaps between the held call and the consultation call; hanging up
// then still transfers.
func TestAnalogFlashSwapsThenTransfers(t *testing.T) {
	r := newRig(t, "sim-ideal-4fxs", "us")
	r.connect(1, 2)
	r.consult(1, 3)
	r.phone[3].OffHook()
	r.run(time.Second)
	r.talks(3, 1, 900)
	if err := r.phone[1].Flash(0); err != nil {
		t.Fatal(err)
	}
	r.run(time.Second)
	r.talks(2, 1, 700)
	r.hearsHoldMusic(3, 700)
	if err := r.phone[1].Flash(0); err != nil {
		t.Fatal(err)
	}
	r.run(time.Second)
	r.talks(1, 3, 500)
	r.phone[1].OnHook()
	r.transferred()
	r.talks(2, 3, 600)
}

// A consultation call that fails leaves the held call to come back to:
// port 1 dials a busy port, hears busy, and flashes back to port 2.
func TestAnalogConsultationBusy(t *testing.T) {
	r := newRig(t, "sim-ideal-4fxs", "us")
	r.connect(1, 2)
	r.lift(4, "dialtone") // port 4 (ext 103) is busy dialling
	if err := r.phone[1].Flash(0); err != nil {
		t.Fatal(err)
	}
	r.run(time.Second)
	dial(t, r.phone[1], "103", "dtmf")
	r.until(5*time.Second, "port 1 hears busy", func() bool { return r.heard(1) == "busy" })
	if err := r.phone[1].Flash(0); err != nil {
		t.Fatal(err)
	}
	r.run(time.Second)
	r.talks(2, 1, 700)
	r.talks(1, 2, 900)
	// Hanging up now is an ordinary hang-up: nothing to transfer.
	r.phone[1].OnHook()
	r.until(3*time.Second, "port 2 hears busy", func() bool { return r.heard(2) == "busy" })
}

// Hanging up during the recall dial tone rings the phone back for the held call.
func TestAnalogRecallHangupRingsBack(t *testing.T) {
	r := newRig(t, "sim-ideal-4fxs", "us")
	r.connect(1, 2)
	if err := r.phone[1].Flash(0); err != nil {
		t.Fatal(err)
	}
	r.run(time.Second)
	r.phone[1].OnHook()
	r.until(5*time.Second, "port 1 rings back", func() bool { return r.phone[1].Status().Ringing })
	r.phone[1].OffHook()
	r.run(time.Second)
	r.talks(2, 1, 700)
}
