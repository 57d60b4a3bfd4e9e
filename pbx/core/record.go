package core

import "time"

// MediaStats are one leg's RTP quality figures (pbx/media Stats, without
// the dependency): what the call record keeps.
type MediaStats struct {
	Codec                        string
	Remote                       string // where RTP goes: the negotiated or latched address
	PacketsSent, PacketsReceived uint64
	BytesSent, BytesReceived     uint64
	Lost                         int64 // RFC 3550 A.3 cumulative loss of what we receive
	Late, Concealed              uint64
	Jitter, MaxJitter, RTT       time.Duration
	RemoteLost                   int32 // the peer's RTCP view of what we send
	RemoteJitter                 time.Duration
	R, MOS                       float64 // G.107 E-model estimate of what we receive
	Latched                      bool    // symmetric RTP moved the destination
	DigitsSent, DigitsReceived   uint64
}

// Leg is one party of a call record.
type Leg struct {
	Channel string
	Media   *MediaStats // nil for a channel without RTP (an FXS port)
}

// Record is a call's detail record: who, when, why it ended, and the media
// quality each leg saw. Media figures are the leg's session totals when
// the record was taken (a leg moved by a transfer carries its earlier
// call's packets too).
type Record struct {
	ID       uint64
	From     Party
	To       string
	State    string
	Started  time.Time
	Answered time.Time
	Ended    time.Time
	Cause    string
	// Joined lists the calls a transfer merged into this one.
	Joined []uint64
	// Transferred is the call this one's parties moved to, when it ended by a transfer.
	Transferred uint64
	Held        bool
	A           Leg
	B           Leg
}

// Record returns the call's record as of now.
func (c *Call) Record() Record {
	r := Record{ID: c.ID, From: c.From, To: c.To, State: c.State.String(), Started: c.Started,
		Answered: c.Answered, Ended: c.Ended, Joined: c.joined, Transferred: c.movedTo, Held: c.OnHold()}
	if c.Cause != 0 {
		r.Cause = c.Cause.String()
	}
	if c.State == Ended {
		r.A, r.B = c.legs[0], c.legs[1]
		return r
	}
	r.A, r.B = legOf(c.A), legOf(c.B)
	return r
}

func legOf(ch Channel) Leg {
	if ch == nil {
		return Leg{}
	}
	l := Leg{Channel: ch.Name()}
	if m, ok := ch.(MediaReporter); ok {
		if st, ok := m.MediaStats(); ok {
			l.Media = &st
		}
	}
	return l
}

// defaultRecent is how many ended calls the engine remembers for the CDR list.
const defaultRecent = 200

// Sink takes the record of every call that ends, in the engine goroutine.
// It must not block or do I/O there: a call log hands the record to its
// own writer (pbx/cdr).
type Sink interface {
	Add(r Record)
}

// SetSink gives ended calls' records to s as well as to the recent ring.
// Call it before the engine runs.
//
// The ring stays although a persistent sink usually has its own index (and
// the API then lists that one, which survives a restart and needs no trip
// through the engine goroutine): it is what an engine without a sink lists
// (in-process tests, a daemon whose data directory is unusable), and 200
// records cost a few tens of kilobytes.
func (e *Engine) SetSink(s Sink) { e.sink = s }

// ContinueIDs numbers the calls that follow after last, so call IDs stay
// unique in a call log that outlives the process. Call it before the
// engine runs.
func (e *Engine) ContinueIDs(last uint64) { e.nextID = max(e.nextID, last) }

// keep files an ended call's record with the sink and in the recent list
// (a ring, oldest overwritten).
func (e *Engine) keep(r Record) {
	if e.sink != nil {
		e.sink.Add(r)
	}
	if e.recentMax <= 0 {
		return
	}
	if len(e.recent) < e.recentMax {
		e.recent = append(e.recent, r)
	} else {
		e.recent[e.recentNext] = r
	}
	e.recentNext = (e.recentNext + 1) % e.recentMax
}

// Recent returns the records of recently ended calls, newest first.
func (e *Engine) Recent() []Record {
	n := len(e.recent)
	out := make([]Record, 0, n)
	for i := range n {
		out = append(out, e.recent[(e.recentNext-1-i+n)%n])
	}
	return out
}
