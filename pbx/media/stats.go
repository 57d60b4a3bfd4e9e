package media

import (
	"net/netip"
	"time"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/media/quality"
)

// Stats is a snapshot of a session's quality figures, for the call record.
type Stats struct {
	Codec  string
	Remote netip.AddrPort // where RTP goes now
	// Latched is set when Remote was learned from received packets rather
	// than from SDP (symmetric RTP).
	Latched bool

	PacketsSent, BytesSent         uint64 // RTP payload octets, as RTCP counts them
	PacketsReceived, BytesReceived uint64
	DigitsSent, DigitsReceived     uint64

	// Lost is RFC 3550 A.3's cumulative loss (expected − received) over the
	// current source; negative when duplicates outnumber losses.
	Lost int64
	// Late packets arrived after their playout time and were dropped.
	Late uint64
	// Discarded counts packets dropped for any other reason: malformed,
	// unknown payload type, from an unlatched address, duplicates, a bad
	// sequence jump, too far ahead.
	Discarded uint64
	// Concealed counts 20 ms frames filled in for missing audio.
	Concealed uint64
	// SSRCChanges counts new RTP sources after the first.
	SSRCChanges uint64

	Jitter      time.Duration // RFC 3550 A.8 interarrival jitter of what we receive
	MaxJitter   time.Duration
	BufferDelay time.Duration // the jitter buffer's current margin

	RTT        time.Duration // from RTCP (RFC 3550 §6.4.1); valid when HaveRTT
	HaveRTT    bool
	RemoteLost int32 // the peer's RTCP view of our stream, when HaveRemote
	// RemoteLossFraction is the peer's last reported interval loss, 0-1.
	RemoteLossFraction float64
	RemoteJitter       time.Duration
	HaveRemote         bool
	ByeReceived        bool

	// R and MOS are the simplified G.107 E-model estimate (pbx/media/quality)
	// for what we receive; 0 before anything was received.
	R, MOS float64
}

// packetisation is the delay added before playout besides the buffer: the
// sender's 20 ms frame and our 20 ms tick.
const packetisation = 2 * hal.FrameDuration

// Stats returns the current figures. Safe from any goroutine; the sent
// counts may trail by up to publishEvery packets unless the tick goroutine
// called PublishStats.
func (s *Session) Stats() Stats {
	m := s.media.Load()
	pe := s.peer.Load()
	s.mu.Lock()
	rx := &s.rx
	jb := rx.jb.Stats()
	c := rx.c
	st := Stats{
		Codec:           m.Codec.String(),
		Remote:          pe.rtp,
		Latched:         pe.latched,
		PacketsSent:     s.txn.packets.Load(),
		BytesSent:       s.txn.octets.Load(),
		DigitsSent:      s.txn.digits.Load(),
		PacketsReceived: c.packets,
		BytesReceived:   c.octets,
		DigitsReceived:  c.digits,
		Lost:            rx.src.Lost(),
		Late:            jb.Late,
		Discarded: c.malformed + c.foreign + c.unknownPT + c.notReceiving + c.badSeq +
			jb.Duplicates + jb.Discarded,
		Concealed:   jb.Concealed,
		SSRCChanges: c.ssrcChanges,
		Jitter:      jb.Jitter,
		MaxJitter:   time.Duration(rx.maxJitter) * time.Second / hal.SampleRate,
		BufferDelay: jb.Delay,
		RTT:         rx.rtt,
		HaveRTT:     rx.haveRTT,
		HaveRemote:  rx.remote.valid,
		RemoteLost:  rx.remote.cumLost,
		ByeReceived: rx.byeSeen,
	}
	if rx.remote.valid {
		st.RemoteLossFraction = float64(rx.remote.fractionLost) / 256
		st.RemoteJitter = time.Duration(rx.remote.jitter) * time.Second / hal.SampleRate
	}
	expected := rx.src.Expected()
	bursts, inGaps := rx.src.Bursts()
	s.mu.Unlock()

	if expected > 0 {
		lost := float64(max(st.Lost, 0)) + float64(st.Late) // late is lost to the listener
		delay := st.BufferDelay + packetisation
		if st.HaveRTT {
			delay += st.RTT / 2
		}
		st.R, st.MOS = quality.Estimate(quality.Input{
			Loss:   min(lost/float64(expected), 1),
			BurstR: quality.BurstRatio(bursts, inGaps, st.PacketsReceived),
			Delay:  delay,
		})
	}
	return st
}
