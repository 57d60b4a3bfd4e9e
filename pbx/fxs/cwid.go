package fxs

import (
	"time"

	"github.com/hookswitch/hookswitch/pbx/callerid"
)

// cwidStep is where off-hook (type 2) caller ID for a waiting call is.
// The sequence (Telcordia GR-575 / SR-TSV-002476; ETSI EN 300 659-1 §6.2,
// research brief §3.7): the subscriber alerting signal (the first burst of
// the call-waiting tone), the CPE alerting signal (CAS: 2130 + 2750 Hz,
// 75–85 ms), the phone's DTMF acknowledgement (A for Bellcore, D for ETSI and
// BT) within 160 ms, then the FSK message without channel seizure. The far
// end is muted throughout; a phone that does not acknowledge gets no data.
type cwidStep uint8

const (
	cwidNone cwidStep = iota
	cwidSAS           // the first call-waiting burst is playing
	cwidCAS           // the CPE alerting signal is playing
	cwidAck           // waiting for the phone's acknowledgement
	cwidFSK           // sending the caller ID
)

const (
	casGap    = 50 * time.Millisecond // silence between the SAS and the CAS
	casLength = 80 * time.Millisecond
	// ackWait is the 160 ms the phone has to answer, plus the time DTMF
	// detection needs to be sure of a digit (40 ms) and a frame.
	ackWait = 160*time.Millisecond + 40*time.Millisecond + 20*time.Millisecond
	// cwidMarks is the mark preamble of an off-hook message: there is no
	// channel seizure, the marks alone let the receiver settle.
	cwidMarks = 80
)

func (p *Port) callerIDOnWaiting(now time.Time) {
	switch p.cwid {
	case cwidSAS:
		if !now.Before(p.cwidAt) {
			p.alert.Start(casLength)
			p.cwid = cwidCAS
		}
	case cwidCAS:
		if !p.alert.Busy() {
			p.cwid, p.cwidAt = cwidAck, now.Add(ackWait)
		}
	case cwidAck:
		if !now.Before(p.cwidAt) {
			p.log.Debug("no acknowledgement of the caller-ID alert")
			p.cwid = cwidNone
		}
	case cwidFSK:
		if !p.fsk.Busy() {
			p.cwid = cwidNone
		}
	}
}

func (p *Port) cwidAcked() {
	p.msg = callerid.AppendMDMF(p.msg[:0], p.cidInfo())
	if err := p.fsk.Start(callerid.Burst{MarkMs: cwidMarks, Msg: p.msg}); err != nil {
		p.log.Warn("caller ID on call waiting", "err", err)
		p.cwid = cwidNone
		return
	}
	p.cwid = cwidFSK
}

func (p *Port) stopCWID() {
	if p.cwid == cwidCAS {
		p.alert.Stop()
	}
	if p.cwid == cwidFSK {
		p.fsk.Stop()
	}
	p.cwid = cwidNone
}
