package fxs

import (
	"log/slog"
	"time"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/callerid"
	"github.com/hookswitch/hookswitch/pbx/core"
	"github.com/hookswitch/hookswitch/pbx/dialplan"
	"github.com/hookswitch/hookswitch/pbx/dtmf"
	"github.com/hookswitch/hookswitch/pbx/tone"
)

// state is where the line is, as the person holding the handset knows it.
type state uint8

const (
	idle       state = iota // on-hook, nothing happening
	ringing                 // an incoming call is alerting
	collecting              // off-hook, dial tone, collecting digits
	calling                 // outgoing call placed: ringback, busy or congestion
	talking                 // in a bridged call
	cleared                 // call over or failed, still off-hook: busy/congestion tone
	howling                 // left off-hook: howler
	parked                  // left off-hook after the howler: silence until on-hook
	outOfService
)

var stateNames = [...]string{"idle", "ringing", "dialing", "calling", "talking", "cleared", "howler", "parked", "out-of-service"}

func (s state) String() string { return stateNames[s] }

// maxDigits bounds a dialled number (E.164 allows 15, plus prefixes and codes).
const maxDigits = 32

// Party is the port's own identity, sent as caller ID when it calls.
type Party = core.Party

// Port is one FXS line as a PBX channel. Only the engine goroutine uses it.
type Port struct {
	line  hal.Line
	log   *slog.Logger
	eng   *core.Engine
	self  Party
	t     Timings
	plan  *tone.Plan
	name  string
	state state

	hook   hook
	offHk  bool // loop closed, as last seen
	det    *dtmf.Detector
	player tone.Player
	gen    *dtmf.Generator
	fsk    *callerid.Modulator
	alert  callerid.Alert

	digits   [maxDigits]byte
	nDigits  int
	deadline time.Time // the current state's timeout; zero when none

	call    *core.Call // the call the handset is in (or being rung for)
	waiting *core.Call // a second call offered during a call (call waiting)
	held    *core.Call // a call on hold while the handset is in another
	consult *core.Call // a call dialled with one on hold: hanging up transfers
	caller  Party      // of the call being offered
	cw      tone.Player
	cwFrame hal.Frame
	noCW    bool      // call waiting disabled: a second call gets busy
	cwid    cwidStep  // off-hook caller ID for the waiting call
	cwidAt  time.Time // when the current step times out
	in      hal.Frame
	inValid bool
	rx      *hal.Frame
	now     time.Time

	ringPhase int       // index into plan.Ring while ringing
	ringAt    time.Time // next cadence change
	rings     int       // ring bursts completed

	seq   []step // on-hook transmission in progress (caller ID, VMWI)
	seqAt time.Time
	msg   []byte // buffer for FSK messages

	mwi      bool // messages waiting
	mwiSent  bool // the phone was told the current mwi
	lastFeed hal.Feed
}

// step is one stage of an on-hook transmission; it returns false to be
// retried at the next frame (waiting for the FSK to finish).
type step struct {
	after time.Duration
	do    func(p *Port) bool
}

func newPort(line hal.Line, log *slog.Logger, sub Subscriber, t Timings, plan *tone.Plan) *Port {
	std := callerid.Bell202
	if t.fskV23 {
		std = callerid.V23
	}
	p := &Port{
		line: line,
		log:  log.With("port", line.Port()),
		self: sub.Party,
		noCW: sub.NoCallWaiting,
		t:    t,
		plan: plan,
		det:  dtmf.NewDetector(),
		gen:  dtmf.NewGenerator(),
		fsk:  callerid.NewModulator(std),
		msg:  make([]byte, 0, callerid.MaxMessage),
		// The lamp starts dark, as the phone's does: nothing to tell it
		// until a mailbox says otherwise.
		mwiSent: true,
	}
	p.name = "fxs/" + itoa(line.Port())
	p.hook.t = t.hook
	p.setFeed(hal.FeedForward)
	return p
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// Name identifies the port.
func (p *Port) Name() string { return p.name }

// Self is the port's subscriber, as caller ID presents it.
func (p *Port) Self() core.Party { return p.self }

// Number is the port's extension.
func (p *Port) Number() string { return p.self.Number }

// State is the port's state for the management API.
func (p *Port) State() string { return p.state.String() }

// OffHook reports whether the loop is closed.
func (p *Port) OffHook() bool { return p.offHk }

// Line returns the hardware line.
func (p *Port) Line() hal.Line { return p.line }

// MWI reports whether the port shows messages waiting.
func (p *Port) MWI() bool { return p.mwi }

func (p *Port) setFeed(f hal.Feed) {
	if f == p.lastFeed && p.line.Feed() == f {
		return
	}
	if err := p.line.SetFeed(f); err != nil {
		p.log.Warn("linefeed", "feed", f.String(), "err", err)
		return
	}
	p.lastFeed = f
}

func (p *Port) play(n tone.Name) {
	if s, ok := p.plan.Tones[n]; ok {
		p.player.Play(s)
	}
}

// receive handles one frame: line events, the passage of time, digits.
func (p *Port) receive(now time.Time, rx *hal.Frame) {
	p.now, p.rx = now, rx
	for {
		select {
		case ev := <-p.line.Events():
			p.event(ev)
			continue
		default:
		}
		break
	}
	p.pollHook(now)
	p.timers(now)
	if p.offHk && (p.state == collecting || p.state == talking) {
		if ev := p.det.Process((*[hal.FrameSamples]int16)(rx)); ev.Kind == dtmf.KeyDown {
			p.digit(ev.Digit)
		}
	}
}

func (p *Port) event(ev hal.Event) {
	switch ev.Kind {
	case hal.Fault:
		p.log.Warn("port out of service", "reason", ev.Reason)
		p.endCall()
		p.stopAll()
		p.state = outOfService
		return
	case hal.Recovered:
		p.log.Info("port back in service")
		p.state = idle
		p.hook = hook{t: p.t.hook}
		p.offHk = false
		p.lastFeed = hal.FeedOpen
		p.setFeed(hal.FeedForward)
		return
	}
	if p.state == outOfService {
		return
	}
	p.pollHook(ev.At)
	closed := ev.Kind == hal.OffHook
	p.offHk = closed
	h, n := p.hook.edge(closed, ev.At, p.state == collecting)
	p.hookEvent(h, n, ev.At)
}

func (p *Port) pollHook(at time.Time) {
	for {
		h, n := p.hook.poll(at)
		if h == NoHook {
			return
		}
		p.hookEvent(h, n, at)
	}
}

func (p *Port) hookEvent(h HookEvent, n int, at time.Time) {
	switch h {
	case Lifted:
		p.lifted()
	case HungUp:
		p.hungUp()
	case Digit:
		if p.state == collecting {
			p.digit("1234567890"[n-1])
		}
	case Flash:
		p.flash()
	}
}

func (p *Port) lifted() {
	switch p.state {
	case ringing:
		p.answer()
	case idle:
		p.abortSeq()
		p.setFeed(hal.FeedForward)
		p.startDialing()
	}
}

func (p *Port) startDialing() {
	p.state = collecting
	p.nDigits = 0
	p.det.Reset()
	switch _, recall := p.plan.Tones[tone.Recall]; {
	case p.held != nil && recall:
		p.play(tone.Recall) // dial tone after a hook flash with a call held
	case p.mwi:
		p.play(tone.Stutter)
	default:
		p.play(tone.Dial)
	}
	p.deadline = p.now.Add(p.t.FirstDigit)
}

func (p *Port) hungUp() {
	if p.transferOnHangup() {
		p.stopAll()
		p.state = idle
		p.setFeed(hal.FeedForward)
		p.sendMWI()
		return
	}
	p.endCall()
	p.stopAll()
	p.state = idle
	p.setFeed(hal.FeedForward)
	p.deadline = time.Time{}
	// A call on hold or waiting rings the phone back rather than being lost.
	if c := p.held; c != nil {
		p.held = nil
		p.ringBack(c)
		return
	}
	if c := p.waiting; c != nil {
		p.waiting = nil
		p.ringBack(c)
		return
	}
	p.sendMWI()
}

// ringBack rings the idle phone for a call it still holds.
func (p *Port) ringBack(c *core.Call) {
	p.call = c
	p.caller = c.From
	if c.A == core.Channel(p) {
		p.caller = core.Party{Number: c.To}
	}
	p.state = ringing
	p.rings = 0
	p.startRing(p.now)
}

// transferOnHangup joins the held call and the consultation call when the
// user hangs up with both (attended transfer, or semi-attended while the
// consultation still rings). It reports whether it did.
func (p *Port) transferOnHangup() bool {
	held, cur, consult := p.held, p.call, p.consult
	if held == nil || cur == nil || consult == nil || (consult != held && consult != cur) ||
		p.state != talking && p.state != calling {
		return false
	}
	p.held, p.call, p.consult = nil, nil, nil
	if _, err := p.eng.Join(held, p, cur, p, nil); err != nil {
		p.log.Info("transfer on hang-up refused", "err", err)
		p.held, p.call, p.consult = held, cur, consult
		return false
	}
	return true
}

// flash is the recall key: it answers a waiting call, swaps between a call
// and one on hold, holds a lone call and gives recall dial tone for a
// consultation call, or on a dead line brings back the other call or dial
// tone.
func (p *Port) flash() {
	switch p.state {
	case talking:
		switch {
		case p.waiting != nil:
			p.cw.Stop()
			p.stopCWID()
			c := p.waiting
			p.waiting = nil
			p.hold()
			p.call = c
			c.Answer(p)
		case p.held != nil:
			c := p.held
			p.held = nil
			p.hold()
			p.call = c
			c.Resume(p)
		case p.call != nil && p.call.State == core.Connected:
			p.hold()
			p.stopAll()
			p.startDialing()
		default:
			p.log.Debug("hook flash", "state", p.state.String())
		}
		p.inValid = false
	case calling, collecting, cleared, howling, parked:
		p.endCall()
		p.stopAll()
		switch {
		case p.waiting != nil:
			p.call, p.waiting = p.waiting, nil
			p.state = talking
			p.call.Answer(p)
		case p.held != nil:
			p.call, p.held = p.held, nil
			p.state = talking
			p.call.Resume(p)
		default:
			p.startDialing()
		}
	default:
		p.log.Debug("hook flash", "state", p.state.String())
	}
}

// hold puts the current call on hold (or abandons it before the answer).
func (p *Port) hold() {
	c := p.call
	p.call = nil
	if c == nil {
		return
	}
	if c.State == core.Connected {
		c.Hold(p)
		p.held = c
		return
	}
	c.Hangup(p)
}

func (p *Port) digit(d byte) {
	if p.cwid == cwidAck && d >= 'A' && d <= 'D' {
		p.cwidAcked()
		return
	}
	switch p.state {
	case talking:
		if p.call != nil {
			p.call.Digit(p, d)
		}
		return
	case collecting:
	default:
		return
	}
	p.player.Stop()
	if p.nDigits == maxDigits {
		p.clear(tone.Congestion)
		return
	}
	p.digits[p.nDigits] = d
	p.nDigits++
	res, _ := p.eng.Plan().Match(string(p.digits[:p.nDigits]))
	switch res {
	case dialplan.Complete:
		p.dial()
	case dialplan.More, dialplan.Ambiguous:
		p.deadline = p.now.Add(p.t.InterDigit)
	default:
		p.log.Info("number cannot match", "digits", string(p.digits[:p.nDigits]))
		p.clear(tone.Congestion)
	}
}

func (p *Port) dial() {
	p.state = calling
	p.deadline = time.Time{}
	c := p.eng.Dial(p, p.self, string(p.digits[:p.nDigits]))
	if c.State == core.Ended {
		return
	}
	p.call = c
	if p.held != nil {
		p.consult = c
	}
}

// clear ends the attempt with a tone and starts the howler countdown.
func (p *Port) clear(n tone.Name) {
	p.state = cleared
	p.play(n)
	p.deadline = p.now.Add(p.t.HowlerAfter)
}

func (p *Port) timers(now time.Time) {
	if p.state == ringing {
		p.cadence(now)
	}
	p.runSeq(now)
	p.callerIDOnWaiting(now)
	if p.deadline.IsZero() || now.Before(p.deadline) {
		return
	}
	p.deadline = time.Time{}
	switch p.state {
	case collecting:
		if res, _ := p.eng.Plan().Match(string(p.digits[:p.nDigits])); res == dialplan.Ambiguous {
			p.dial()
			return
		}
		p.clear(tone.Congestion)
	case cleared:
		p.state = howling
		p.play(tone.Howler)
		p.deadline = now.Add(p.t.HowlerFor)
	case howling:
		p.state = parked
		p.player.Stop()
	}
}

// Offer rings the port for an incoming call.
func (p *Port) Offer(c *core.Call, from core.Party) error {
	if p.state == talking && !p.noCW && p.waiting == nil && p.held == nil {
		p.waiting = c
		if s, ok := p.plan.Tones[tone.CallWaiting]; ok {
			p.cw.Play(s)
			// The first burst is the subscriber alerting signal; the CPE
			// alerting signal and the caller ID follow it.
			p.caller = from
			p.cwid, p.cwidAt = cwidSAS, p.now.Add(s.Parts[0].Dur+casGap)
		}
		c.Ringing(p)
		return nil
	}
	if p.state != idle || p.offHk {
		return core.ErrBusy
	}
	p.abortSeq()
	p.call, p.caller = c, from
	p.state = ringing
	p.rings = 0
	if p.t.cid == cidBeforeRing {
		p.setFeed(hal.FeedReverseOHT)
		p.preRingCID()
	} else {
		p.startRing(p.now)
	}
	c.Ringing(p)
	return nil
}

func (p *Port) startRing(now time.Time) {
	p.ringPhase = 0
	p.ringAt = now.Add(p.plan.Ring[0])
	p.setFeed(hal.FeedRinging)
}

// cadence switches the ring voltage on and off with the country's cadence
// (research brief §3.4), timed here as DAHDI does rather than by the chip.
func (p *Port) cadence(now time.Time) {
	if p.ringAt.IsZero() {
		return
	}
	for !now.Before(p.ringAt) {
		p.ringPhase = (p.ringPhase + 1) % len(p.plan.Ring)
		p.ringAt = p.ringAt.Add(p.plan.Ring[p.ringPhase])
		if p.ringPhase%2 == 0 {
			p.setFeed(hal.FeedRinging)
			continue
		}
		// Silent interval: on-hook transmission so caller ID can pass.
		p.setFeed(hal.FeedOHT)
		if p.ringPhase == len(p.plan.Ring)-1 {
			p.rings++
			if p.rings == 1 && p.t.cid == cidAfterRing {
				p.afterRingCID()
			}
		}
	}
}

func (p *Port) answer() {
	p.abortSeq()
	p.ringAt = time.Time{}
	p.setFeed(hal.FeedForward)
	p.state = talking
	p.det.Reset()
	p.inValid = false
	switch c := p.call; {
	case c == nil:
	case c.OnHold():
		c.Resume(p)
	default:
		c.Answer(p)
	}
}

// Indicate shows the progress of the port's outgoing call.
func (p *Port) Indicate(c *core.Call, ind core.Indication) {
	if c != p.call && p.call != nil {
		return
	}
	switch ind {
	case core.Ringing:
		p.play(tone.Ringback)
	case core.Busy:
		p.call = nil
		p.clear(tone.Busy)
	case core.Congestion:
		p.call = nil
		p.clear(tone.Congestion)
	case core.Answered:
		p.player.Stop()
		p.state = talking
		p.inValid = false
	case core.Progress:
		p.player.Stop() // the far end's own progress audio replaces ringback
	case core.Held, core.Resumed:
		// The far end's audio stops or restarts; nothing to play here.
	}
}

// Transferred moves the port's reference from one call to the call a
// transfer made of it; with no new call the port has left, which it takes
// as the far end leaving.
func (p *Port) Transferred(from, to *core.Call) {
	if from == p.consult {
		p.consult = to
	}
	if to == nil {
		p.Hangup(from, core.Transferred)
		return
	}
	switch from {
	case p.call:
		p.call = to
	case p.held:
		p.held = to
	case p.waiting:
		p.waiting = to
	}
}

// Hangup ends the port's call from the other side.
func (p *Port) Hangup(c *core.Call, cause core.Cause) {
	if c == p.consult {
		p.consult = nil
	}
	switch c {
	case p.waiting:
		p.waiting = nil
		p.cw.Stop()
		p.stopCWID()
		return
	case p.held:
		p.held = nil
		return
	case p.call:
	default:
		return
	}
	p.call = nil
	switch p.state {
	case ringing:
		p.abortSeq()
		p.ringAt = time.Time{}
		p.state = idle
		p.setFeed(hal.FeedForward)
		p.sendMWI()
	case talking, calling:
		p.gen.Stop()
		p.clear(tone.Busy)
	}
}

// endCall leaves the current call, telling the other side.
func (p *Port) endCall() {
	if c := p.call; c != nil {
		p.call = nil
		c.Hangup(p)
	}
}

func (p *Port) stopAll() {
	p.abortSeq()
	p.stopCWID()
	p.player.Stop()
	p.cw.Stop()
	p.gen.Stop()
	p.ringAt = time.Time{}
	p.inValid = false
	p.deadline = time.Time{}
}

// ReadFrame gives what the phone's mouthpiece sent this frame.
func (p *Port) ReadFrame(f *hal.Frame) {
	if p.rx != nil {
		*f = *p.rx
	}
}

// WriteFrame gives the audio for the phone's earpiece at the next frame.
func (p *Port) WriteFrame(f *hal.Frame) {
	p.in = *f
	p.inValid = true
}

// SendDigit plays a DTMF digit to the phone (a far end's RFC 4733 event).
func (p *Port) SendDigit(d byte) {
	if err := p.gen.Start(d, 100*time.Millisecond, 60*time.Millisecond); err != nil {
		p.log.Debug("digit", "digit", string(d), "err", err)
	}
}

// cwBurst renders the call-waiting tone's next frame and reports whether it
// sounds: the far end is muted only during the bursts.
func (p *Port) cwBurst() bool {
	p.cw.Fill((*[hal.FrameSamples]int16)(&p.cwFrame))
	return p.cwFrame != hal.Frame{}
}

// render writes the frame the line sends next: on-hook transmission first,
// then local tones, then the far end's audio.
func (p *Port) render(tx *hal.Frame) {
	switch {
	case p.alert.Busy():
		p.alert.Fill((*[hal.FrameSamples]int16)(tx))
	case p.fsk.Busy():
		p.fsk.Fill((*[hal.FrameSamples]int16)(tx))
	case p.gen.Busy():
		p.gen.Fill((*[hal.FrameSamples]int16)(tx))
	case p.player.Playing() != "":
		p.player.Fill((*[hal.FrameSamples]int16)(tx))
	case p.state == talking && p.cw.Playing() != "" && p.cwBurst():
		*tx = p.cwFrame
	case p.cwid != cwidNone:
		*tx = hal.Frame{} // the far end stays muted until the caller ID is sent
	case (p.state == talking || p.state == calling) && p.inValid: // calling: early media
		*tx = p.in
	default:
		*tx = hal.Frame{}
	}
	p.inValid = false
}
