package haltest

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"github.com/hookswitch/hookswitch/hal/sim/phone"
)

// PhoneSet is a board with simulated phones.
type PhoneSet interface {
	Phone(n int) *phone.Phone
}

// Phones is the Controller of a simulated board: its phones.
type Phones struct{ Board PhoneSet }

var _ Controller = Phones{}

// SetHook lifts or hangs up port n's phone.
func (p Phones) SetHook(n int, off bool) {
	if off {
		p.Board.Phone(n).OffHook()
	} else {
		p.Board.Phone(n).OnHook()
	}
}

// Ringing reports whether the phone rings.
func (p Phones) Ringing(n int) bool { return p.Board.Phone(n).Status().Ringing }

// Reversed reports the phone's polarity indicator.
func (p Phones) Reversed(n int) bool { return p.Board.Phone(n).Status().Polarity == "reverse" }

// Say plays audio into the mouthpiece.
func (p Phones) Say(n int, s []int16) { p.Board.Phone(n).Play(s) }

// Heard returns the earpiece's last d.
func (p Phones) Heard(n int, d time.Duration) []int16 { return p.Board.Phone(n).Recording(d) }

// Audio is true.
func (Phones) Audio() bool { return true }

// Operator is the Controller on hardware: a person at the bench with a phone
// on each port, following prompts and confirming with Enter. Ringing and
// polarity are asked, audio is not checked.
type Operator struct {
	In  io.Reader
	Out io.Writer
	r   *bufio.Reader
}

func (o *Operator) ask(format string, a ...any) string {
	if o.r == nil {
		o.r = bufio.NewReader(o.In)
	}
	fmt.Fprintf(o.Out, format, a...)
	s, _ := o.r.ReadString('\n')
	return s
}

// SetHook asks the operator to lift or replace the handset.
func (o *Operator) SetHook(n int, off bool) {
	what := "hang up the handset on"
	if off {
		what = "lift the handset on"
	}
	o.ask("%s port %d, then press Enter within the next second: ", what, n)
}

// Ringing asks whether the phone rings.
func (o *Operator) Ringing(n int) bool {
	return o.ask("does the phone on port %d ring? [y/N] ", n) == "y\n"
}

// Reversed asks for the polarity.
func (o *Operator) Reversed(n int) bool {
	return o.ask("does the polarity indicator on port %d show reverse battery? [y/N] ", n) == "y\n"
}

// Say does nothing.
func (o *Operator) Say(int, []int16) {}

// Heard returns nothing.
func (o *Operator) Heard(int, time.Duration) []int16 { return nil }

// Audio is false: audio needs a test set on the line.
func (o *Operator) Audio() bool { return false }
