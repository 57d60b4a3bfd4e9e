package fxs

import (
	"time"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/callerid"
)

// On-hook transmission: caller ID around the first ring and the
// message-waiting lamp, sent as a sequence of timed steps while the line
// rests.

// afterRingCID sends caller ID in the first silent interval: at least 500 ms
// after the ring ends and done 200 ms before the next (GR-30-CORE §3.2;
// ETSI EN 300 659-1 §6.1.1 gives 500 ms minimum too).
func (p *Port) afterRingCID() {
	p.msg = callerid.AppendMDMF(p.msg[:0], p.cidInfo())
	p.seq = append(p.seq[:0],
		step{500 * time.Millisecond, func(p *Port) bool {
			_ = p.fsk.Start(callerid.Burst{Seizure: true, MarkMs: 150, Msg: p.msg})
			return true
		}},
		step{0, func(p *Port) bool { return !p.fsk.Busy() }},
	)
	p.seqAt = p.now.Add(p.seq[0].after)
}

// preRingCID sends caller ID before the first ring, introduced by a polarity
// reversal and the dual-tone alert (BT SIN 227 §3.2: reversal, ≥100 ms, DT-AS
// 88–110 ms, 45–75 ms, FSK; ringing ≥200 ms after the FSK).
func (p *Port) preRingCID() {
	p.msg = callerid.AppendMDMF(p.msg[:0], p.cidInfo())
	p.seq = append(p.seq[:0], p.alertSteps()...)
	p.seq = append(p.seq,
		step{0, func(p *Port) bool { return !p.fsk.Busy() }},
		step{200 * time.Millisecond, func(p *Port) bool {
			p.setFeed(hal.FeedForward)
			p.startRing(p.now)
			return true
		}},
	)
	p.seqAt = p.now.Add(p.seq[0].after)
}

// alertSteps are the DT-AS alert and the FSK of p.msg that follows it.
func (p *Port) alertSteps() []step {
	return []step{
		{150 * time.Millisecond, func(p *Port) bool { p.alert.Start(callerid.AlertDuration); return true }},
		{0, func(p *Port) bool { return !p.alert.Busy() }},
		{60 * time.Millisecond, func(p *Port) bool {
			_ = p.fsk.Start(callerid.Burst{MarkMs: 120, Msg: p.msg})
			return true
		}},
	}
}

func (p *Port) cidInfo() callerid.Info {
	in := callerid.Info{Time: p.now, Number: p.caller.Number, Name: p.caller.Name}
	if in.Number == "" {
		in.NumberAbsent = callerid.Unavailable
	}
	if in.Name == "" {
		in.NameAbsent = callerid.Unavailable
	}
	return in
}

// SetMWI sets the message-waiting indication: the lamp is told by FSK VMWI
// while on-hook, and dial tone stutters while messages wait.
func (p *Port) SetMWI(on bool) {
	if p.mwi == on && p.mwiSent {
		return
	}
	p.mwi, p.mwiSent = on, false
	p.sendMWI()
}

// sendMWI starts the on-hook VMWI transmission when the line is at rest.
func (p *Port) sendMWI() {
	if p.mwiSent || p.state != idle || p.offHk || len(p.seq) > 0 {
		return
	}
	p.mwiSent = true
	p.msg = callerid.AppendVMWI(p.msg[:0], p.mwi, true)
	if p.t.cid == cidBeforeRing || p.t.fskV23 {
		// ETSI EN 300 659-1 §6.1.2: transmission not associated with ringing
		// is introduced by a polarity reversal and DT-AS.
		p.setFeed(hal.FeedReverseOHT)
		p.seq = append(p.seq[:0], p.alertSteps()...)
	} else {
		// GR-30-CORE: on-hook VMWI is seizure, marks and the message.
		p.setFeed(hal.FeedOHT)
		p.seq = append(p.seq[:0], step{100 * time.Millisecond, func(p *Port) bool {
			_ = p.fsk.Start(callerid.Burst{Seizure: true, MarkMs: 180, Msg: p.msg})
			return true
		}})
	}
	p.seq = append(p.seq,
		step{0, func(p *Port) bool { return !p.fsk.Busy() }},
		step{100 * time.Millisecond, func(p *Port) bool { p.setFeed(hal.FeedForward); return true }},
	)
	p.seqAt = p.now.Add(p.seq[0].after)
}

func (p *Port) runSeq(now time.Time) {
	for len(p.seq) > 0 && !now.Before(p.seqAt) {
		if !p.seq[0].do(p) {
			return
		}
		p.seq = p.seq[1:]
		if len(p.seq) > 0 {
			p.seqAt = now.Add(p.seq[0].after)
		}
	}
	if len(p.seq) == 0 {
		p.sendMWI() // a change that came while the line was busy transmitting
	}
}

func (p *Port) abortSeq() {
	if len(p.seq) > 0 && len(p.msg) > 0 && p.msg[0] == callerid.TypeMDMFVMWI {
		p.mwiSent = false // interrupted: tell the lamp again later
	}
	p.seq = p.seq[:0]
	p.fsk.Stop()
	p.alert.Stop()
}
