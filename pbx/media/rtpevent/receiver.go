package rtpevent

import "time"

// Kind says whether a Report starts or ends a digit.
type Kind uint8

// Report kinds.
const (
	Begin Kind = iota + 1
	End
)

func (k Kind) String() string {
	switch k {
	case Begin:
		return "begin"
	case End:
		return "end"
	}
	return "kind?"
}

// Report is one received digit edge.
type Report struct {
	Kind      Kind
	Event     Event
	Timestamp uint32 // the event's RTP timestamp (its start)
	// Duration, on End, in 8 kHz timestamp units.
	Duration uint32
	// Estimated is set on an End that no end packet confirmed: a new event
	// began, or none of the event's packets came for the timeout. Duration is
	// then the longest one seen.
	Estimated bool
}

// Length returns Duration as a time.Duration.
func (r Report) Length() time.Duration { return DurationOf(r.Duration) }

// ReceiverOpts tunes a Receiver.
type ReceiverOpts struct {
	// Timeout ends an event that stops getting packets without an end packet
	// (all three lost). Default 250 ms: five missed 50 ms updates. Our choice;
	// RFC 4733 §2.5.2 leaves it to the receiver.
	Timeout time.Duration
}

// Receiver reassembles digits from a peer's event packets. It keys events by
// their RTP timestamp, as RFC 4733 §2.5.2 does, so the repeated end packets,
// late updates and duplicates report nothing. Not safe for concurrent use.
type Receiver struct {
	timeout uint32

	have  bool // an event has been seen since Reset
	ended bool // the current event has been reported ended
	ev    Event
	ts    uint32
	dur   uint16
	idle  uint32 // samples since the current event's last packet
}

// NewReceiver returns a receiver that has seen no event.
func NewReceiver(o ReceiverOpts) *Receiver {
	if o.Timeout <= 0 {
		o.Timeout = 250 * time.Millisecond
	}
	return &Receiver{timeout: Samples(o.Timeout)}
}

// Reset forgets the current event without reporting it (a new RTP source).
func (r *Receiver) Reset() {
	r.have, r.ended, r.idle = false, false, 0
}

// Receive takes one event packet's RTP timestamp and payload and writes the
// reports it causes into out, returning how many (0 to 3: the implicit end of
// an unfinished event, the begin of a new one, and its end if the first
// packet seen already carries the E bit).
func (r *Receiver) Receive(ts uint32, payload []byte, out *[3]Report) (int, error) {
	var p Payload
	if err := p.Unmarshal(payload); err != nil {
		return 0, err
	}
	n := 0
	if r.have && ts == r.ts { // RFC 4733 §2.5.2: an event is identified by its timestamp
		r.idle = 0
		if r.ended {
			return 0, nil // a repeated end packet or a late update
		}
		r.dur = max(r.dur, p.Duration)
		if p.End {
			r.ended = true
			out[n] = Report{Kind: End, Event: r.ev, Timestamp: r.ts, Duration: uint32(p.Duration)}
			n++
		}
		return n, nil
	}
	if r.have && int32(ts-r.ts) < 0 {
		return 0, nil // a straggler from an event already replaced
	}
	if r.have && !r.ended {
		out[n] = Report{Kind: End, Event: r.ev, Timestamp: r.ts, Duration: uint32(r.dur), Estimated: true}
		n++
	}
	r.have, r.ended, r.ev, r.ts, r.dur, r.idle = true, p.End, p.Event, ts, p.Duration, 0
	out[n] = Report{Kind: Begin, Event: p.Event, Timestamp: ts}
	n++
	if p.End {
		out[n] = Report{Kind: End, Event: p.Event, Timestamp: ts, Duration: uint32(p.Duration)}
		n++
	}
	return n, nil
}

// Tick advances the receiver's idle time by one media tick of frameSamples.
// If an unfinished event has now gone Timeout without packets it reports its
// End in out and returns true.
func (r *Receiver) Tick(frameSamples uint32, out *Report) bool {
	if !r.have || r.ended {
		return false
	}
	r.idle += frameSamples
	if r.idle < r.timeout {
		return false
	}
	r.ended = true
	*out = Report{Kind: End, Event: r.ev, Timestamp: r.ts, Duration: uint32(r.dur), Estimated: true}
	return true
}

// Active reports whether a digit has begun and not yet ended.
func (r *Receiver) Active() bool { return r.have && !r.ended }
