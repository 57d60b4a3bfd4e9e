package sip

import (
	"github.com/hookswitch/hookswitch/hal"
)

// Media is the audio of one leg: an RTP session that the SDP offer/answer
// sets up (pbx/media provides it). The signalling goroutines call the SDP
// methods; the engine goroutine calls the frame and digit methods and Close.
type Media interface {
	// Offer returns our SDP offer (an outgoing INVITE, or a 200 answering
	// an INVITE that had no offer).
	Offer() ([]byte, error)
	// Answer negotiates a remote offer (an INVITE or re-INVITE, so also hold
	// and resume) and returns our answer. An offer with nothing acceptable
	// returns an error; the leg answers 488.
	Answer(offer []byte) ([]byte, error)
	// Accept applies the remote answer to our offer.
	Accept(answer []byte) error

	// ReadFrame gives the frame the jitter buffer plays this tick.
	ReadFrame(f *hal.Frame)
	// WriteFrame sends one frame towards the peer.
	WriteFrame(f *hal.Frame)
	// SendDigit sends a DTMF digit as RFC 4733 events.
	SendDigit(d byte)
	// Digit returns a digit received as RFC 4733 events, once per digit.
	Digit() (byte, bool)
	// Close ends the session and releases its ports.
	Close() error
}

// MediaFactory makes the media for a new leg.
type MediaFactory func() (Media, error)
