package rtpstats

// RFC 3550 A.1 constants.
const (
	minSequential = 2    // packets in sequence before a source is valid
	maxDropout    = 3000 // largest forward jump taken as loss
	maxMisorder   = 100  // largest backward jump taken as reordering
	seqMod        = 1 << 16
)

// Verdict classifies one packet's sequence number.
type Verdict uint8

// Verdicts.
const (
	Probation Verdict = iota + 1 // a new source not yet confirmed (A.1 probation)
	Valid                        // in sequence, a forward gap, or reordered/duplicate
	Restarted                    // two sequential packets after a big jump: the sender restarted; reset playout
	Bad                          // a big jump, held until the next packet confirms it
)

func (v Verdict) String() string {
	switch v {
	case Probation:
		return "probation"
	case Valid:
		return "valid"
	case Restarted:
		return "restarted"
	case Bad:
		return "bad"
	}
	return "verdict?"
}

// Source is the state of one SSRC. The zero Source has seen nothing.
type Source struct {
	// Probation is how many packets must arrive in sequence before the
	// source counts as valid; 0 means RFC 3550's MIN_SEQUENTIAL, 2. A unicast
	// call whose peer is already vouched for by SDP and address can use 1:
	// with 2, steady pairwise reordering would keep the source unvalidated.
	Probation int

	started        bool
	maxSeq         uint16
	cycles         uint32
	baseSeq        uint32
	badSeq         uint32
	probation      int
	received       uint32
	expectedPrior  uint32
	receivedPrior  uint32
	bursts, inGaps uint64 // loss bursts, packets lost inside them
}

// Update takes the sequence number of a packet from this source (RFC 3550
// A.1 update_seq, with its init on the first packet).
func (s *Source) Update(seq uint16) Verdict {
	if !s.started {
		s.init(seq)
		s.maxSeq = seq - 1
		s.probation = s.minSequential()
		s.started = true
	}
	udelta := seq - s.maxSeq
	switch {
	case s.probation > 0:
		if seq == s.maxSeq+1 {
			s.probation--
			s.maxSeq = seq
			if s.probation == 0 {
				s.init(seq)
				s.received++
				return Valid
			}
		} else {
			s.probation = s.minSequential() - 1
			s.maxSeq = seq
		}
		return Probation
	case udelta < maxDropout:
		if udelta > 1 {
			s.bursts++
			s.inGaps += uint64(udelta - 1)
		}
		if seq < s.maxSeq {
			s.cycles += seqMod // wrapped
		}
		s.maxSeq = seq
	case uint32(udelta) <= seqMod-maxMisorder:
		if uint32(seq) != s.badSeq {
			s.badSeq = (uint32(seq) + 1) & (seqMod - 1)
			return Bad
		}
		s.init(seq) // two sequential packets: the other side restarted
		s.received++
		return Restarted
	default:
		// duplicate or reordered: counted as received, as A.1 does
	}
	s.received++
	return Valid
}

func (s *Source) minSequential() int {
	if s.Probation <= 0 {
		return minSequential
	}
	return s.Probation
}

func (s *Source) init(seq uint16) {
	s.baseSeq = uint32(seq)
	s.maxSeq = seq
	s.badSeq = seqMod + 1
	s.cycles = 0
	s.received, s.receivedPrior, s.expectedPrior = 0, 0, 0
}

// Reset forgets the source (a new SSRC). Burst counts are kept for the call.
func (s *Source) Reset() {
	*s = Source{Probation: s.Probation, bursts: s.bursts, inGaps: s.inGaps}
}

// ExtendedMax is the extended highest sequence number received (A.1).
func (s *Source) ExtendedMax() uint32 { return s.cycles + uint32(s.maxSeq) }

// Expected is the number of packets expected since the base (A.3).
func (s *Source) Expected() uint32 {
	if !s.started || s.probation > 0 {
		return 0
	}
	return s.ExtendedMax() - s.baseSeq + 1
}

// Received counts valid packets, duplicates included, as A.1 does.
func (s *Source) Received() uint32 { return s.received }

// Lost is the cumulative number of packets lost (A.3): expected minus
// received, negative when duplicates outnumber losses.
func (s *Source) Lost() int64 { return int64(s.Expected()) - int64(s.received) }

// Bursts returns the number of loss bursts (forward gaps) and the packets
// lost in them; reordered packets that later fill a gap are not subtracted.
func (s *Source) Bursts() (bursts, lost uint64) { return s.bursts, s.inGaps }

// Report returns the reception report figures for one RTCP interval (A.3)
// and starts the next interval: the fraction lost as a fixed-point 8-bit
// fraction, the cumulative loss clamped to the 24-bit signed field, and the
// extended highest sequence number.
func (s *Source) Report() (fraction uint8, cumulative int32, extMax uint32) {
	expected := s.Expected()
	expInterval := expected - s.expectedPrior
	s.expectedPrior = expected
	recInterval := s.received - s.receivedPrior
	s.receivedPrior = s.received
	lostInterval := int64(expInterval) - int64(recInterval)
	if expInterval != 0 && lostInterval > 0 {
		fraction = uint8((lostInterval << 8) / int64(expInterval))
	}
	lost := min(max(s.Lost(), -0x800000), 0x7fffff)
	return fraction, int32(lost), s.ExtendedMax()
}
