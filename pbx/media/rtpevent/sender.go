package rtpevent

import (
	"time"
)

// SenderOpts tunes a Sender. Zero fields take the defaults below.
type SenderOpts struct {
	// UpdateInterval is the spacing of update packets during an event. RFC 4733
	// §2.5.1.2 leaves the rate to the sender; 50 ms is the usual choice. Updates
	// go out on the first media tick at or after each multiple of the interval.
	UpdateInterval time.Duration
	// Volume is the power level sent, in -dBm0 (RFC 4733 §2.3.4). Default 10.
	Volume uint8
	// MinDuration stretches a digit stopped sooner. Default 40 ms, the shortest
	// tone a DTMF receiver must accept (ITU-T Q.24 Table A-1, 40 ms
	// "recognition" for most administrations).
	MinDuration time.Duration
	// EndPackets is how many times the final packet is sent, on consecutive
	// ticks. Default 3 (RFC 4733 §2.5.1.4).
	EndPackets int
}

const (
	defaultUpdateInterval = 50 * time.Millisecond
	defaultVolume         = 10
	defaultMinDuration    = 40 * time.Millisecond
	defaultEndPackets     = 3
	maxDuration           = 0xffff // a 16-bit duration field; longer events are cut
)

// Packet is one telephone-event packet to send: the RTP session marshals the
// payload behind an RTP header with the event payload type, this timestamp,
// this marker bit and its next sequence number.
type Packet struct {
	Payload   Payload
	Marker    bool
	Timestamp uint32
}

type senderState uint8

const (
	senderIdle senderState = iota
	senderActive
	senderEnding
)

// Sender sends one event at a time. It is owned by the goroutine that sends
// the session's RTP (the media tick) and is not safe for concurrent use.
type Sender struct {
	interval, minDur uint32 // samples
	volume           uint8
	endPackets       int

	state      senderState
	ev         Event
	ts         uint32 // the event's RTP timestamp
	elapsed    uint32 // samples covered up to the end of the last tick
	nextUpdate uint32
	stopAt     uint32 // 0: until Stop
	stopping   bool
	first      bool
	endsLeft   int
	final      uint16
}

// NewSender returns an idle sender.
func NewSender(o SenderOpts) *Sender {
	if o.UpdateInterval <= 0 {
		o.UpdateInterval = defaultUpdateInterval
	}
	if o.Volume == 0 {
		o.Volume = defaultVolume
	}
	if o.MinDuration <= 0 {
		o.MinDuration = defaultMinDuration
	}
	if o.EndPackets <= 0 {
		o.EndPackets = defaultEndPackets
	}
	return &Sender{
		interval:   Samples(o.UpdateInterval),
		minDur:     Samples(o.MinDuration),
		volume:     min(o.Volume, 63),
		endPackets: o.EndPackets,
	}
}

// Start begins sending ev with RTP timestamp ts, which must be the timestamp
// the next audio packet would have carried (RFC 4733 §2.5.1.1: the event's
// timestamp is its start). With d > 0 the event ends by itself after d;
// otherwise it lasts until Stop. An event still being sent is abandoned; the
// receiver ends it when it sees the new timestamp.
func (s *Sender) Start(ev Event, ts uint32, d time.Duration) {
	*s = Sender{
		interval: s.interval, minDur: s.minDur, volume: s.volume, endPackets: s.endPackets,
		state: senderActive, ev: ev, ts: ts, first: true,
	}
	if d > 0 {
		s.stopAt = max(Samples(d), 1)
	}
}

// Stop ends the current event at the next tick (or once MinDuration is reached).
func (s *Sender) Stop() {
	if s.state == senderActive {
		s.stopping = true
	}
}

// Busy reports whether an event is being sent, its final packets included.
// While busy the session sends no audio.
func (s *Sender) Busy() bool { return s.state != senderIdle }

// Next advances the event by one media tick of frameSamples and reports
// whether a packet is due this tick, filling p if so.
func (s *Sender) Next(frameSamples uint32, p *Packet) bool {
	switch s.state {
	case senderActive:
		s.elapsed += frameSamples
		end := s.stopping || (s.stopAt != 0 && s.elapsed >= s.stopAt)
		if end && s.elapsed < s.minDur {
			end = false
		}
		if s.elapsed >= maxDuration {
			end = true
		}
		if end {
			s.final = uint16(min(s.elapsed, maxDuration))
			s.state = senderEnding
			s.endsLeft = s.endPackets - 1
			s.fill(p, true, s.final)
			if s.endsLeft == 0 {
				s.state = senderIdle
			}
			return true
		}
		if s.first || s.elapsed >= s.nextUpdate {
			for s.nextUpdate <= s.elapsed {
				s.nextUpdate += s.interval
			}
			s.fill(p, false, uint16(s.elapsed))
			return true
		}
		return false
	case senderEnding:
		s.fill(p, true, s.final)
		s.endsLeft--
		if s.endsLeft <= 0 {
			s.state = senderIdle
		}
		return true
	}
	return false
}

func (s *Sender) fill(p *Packet, end bool, dur uint16) {
	p.Payload = Payload{Event: s.ev, End: end, Volume: s.volume, Duration: dur}
	p.Marker = s.first // RFC 4733 §2.5.1.1: marker on the first packet of an event
	p.Timestamp = s.ts
	s.first = false
}
