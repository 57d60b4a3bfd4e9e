package trunk

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/core"
	pbxsip "github.com/hookswitch/hookswitch/pbx/sip"
)

// call is one call over the trunk as a core.Channel. The engine goroutine
// calls the Channel methods, which only queue commands; the call's own
// goroutine does the signalling and reports back through Engine.Post. Only
// the engine goroutine touches c and media.
type call struct {
	t   *Trunk
	log *slog.Logger

	// engine goroutine only
	c     *core.Call
	media pbxsip.Media

	cmds chan cmd
	bye  chan struct{} // the provider hung up

	mu  sync.Mutex // the dialog, for the SIP handlers
	uas *sipgo.DialogServerSession
	uac *sipgo.DialogClientSession
	sdp pbxsip.Media
	key string
}

type cmdKind uint8

const (
	cmdIndicate cmdKind = iota + 1
	cmdHangup
)

type cmd struct {
	kind cmdKind
	ind  core.Indication
}

// cmdQueue bounds commands waiting for a call; the engine sends a handful.
const cmdQueue = 16

// byeTimeout bounds how long a BYE may take.
const byeTimeout = 10 * time.Second

// ackTimeout is how long our 2xx waits for its ACK: 64·T1 (RFC 3261 §13.3.1.4).
const ackTimeout = 64 * 500 * time.Millisecond

var _ core.Channel = (*call)(nil)

func (t *Trunk) newCall() *call {
	return &call{t: t, log: t.log, cmds: make(chan cmd, cmdQueue), bye: make(chan struct{}, 1)}
}

// Channel makes the channel of a new outside call. The dialled number, less
// the trunk's prefix, is what the provider is asked for.
func (t *Trunk) Channel() (core.Channel, error) { return t.newCall(), nil }

func (l *call) send(c cmd) {
	select {
	case l.cmds <- c:
	default:
		l.log.Error("trunk: call command queue full")
	}
}

func (l *call) post(fn func()) { l.t.o.Engine.Post(fn) }

// Name identifies the channel: "trunk/provider".
func (l *call) Name() string { return l.t.name }

var errNoNumber = errors.New("trunk: nothing dialled after the prefix")

// Offer places the outside call.
func (l *call) Offer(c *core.Call, from core.Party) error {
	number, _ := strings.CutPrefix(c.To, l.t.o.Prefix)
	if number == "" {
		return errNoNumber
	}
	l.c = c
	go l.runOutbound(c, from, number)
	return nil
}

// Indicate shows an inbound call's progress to the provider.
func (l *call) Indicate(c *core.Call, ind core.Indication) {
	if ind == core.Busy || ind == core.Congestion {
		l.c = nil
	}
	l.send(cmd{kind: cmdIndicate, ind: ind})
}

// Hangup ends the call from the other side.
func (l *call) Hangup(c *core.Call, _ core.Cause) {
	if c != l.c {
		return
	}
	l.c = nil
	l.send(cmd{kind: cmdHangup})
}

// Transferred moves the channel to another call, or ends its side quietly
// when a transfer left it out.
func (l *call) Transferred(from, to *core.Call) {
	if l.c != from {
		return
	}
	l.c = to
	if to == nil {
		l.send(cmd{kind: cmdHangup})
	}
}

// ReadFrame gives the provider's audio, and passes on digits it sent by RFC 4733.
func (l *call) ReadFrame(f *hal.Frame) {
	if l.media == nil {
		*f = hal.Frame{}
		return
	}
	l.media.ReadFrame(f)
	if d, ok := l.media.Digit(); ok && l.c != nil {
		l.c.Digit(l, d)
	}
}

// WriteFrame sends audio to the provider.
func (l *call) WriteFrame(f *hal.Frame) {
	if l.media != nil {
		l.media.WriteFrame(f)
	}
}

// SendDigit sends a digit to the provider as RFC 4733 events.
func (l *call) SendDigit(d byte) {
	if l.media != nil {
		l.media.SendDigit(d)
	}
}

// hangupCall ends the call from our side, in the engine goroutine.
func (l *call) hangupCall() {
	l.post(func() {
		if c := l.c; c != nil {
			l.c = nil
			c.Hangup(l)
		}
	})
}

// finish forgets the dialog and releases the media in the engine goroutine.
func (l *call) finish() {
	l.mu.Lock()
	key := l.key
	l.key = ""
	l.mu.Unlock()
	if key != "" {
		l.t.forget(key)
	}
	l.post(func() {
		if l.media != nil {
			if err := l.media.Close(); err != nil {
				l.log.Debug("trunk: media close", "err", err)
			}
			l.media = nil
		}
	})
}

func (l *call) register(key string) {
	l.mu.Lock()
	l.key = key
	l.mu.Unlock()
	l.t.track(key, l)
}

// runOutbound INVITEs the provider (answering its challenge with the
// account's credentials) and follows the call to the answer.
func (l *call) runOutbound(c *core.Call, from core.Party, number string) {
	t := l.t
	m, err := t.o.Media()
	var offer []byte
	if err == nil {
		if offer, err = m.Offer(); err != nil {
			_ = m.Close()
		}
	}
	if err != nil {
		l.log.Error("trunk: media", "err", err)
		l.reject(c, core.Congestion)
		return
	}
	ctx, stop := t.runContext()
	defer stop()

	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: userPart(number), Host: t.domain})
	req.SetDestination(t.o.Host)
	req.SetTransport("UDP")
	pres := Presentation{Number: t.o.CallerID, Name: from.Name, Withheld: t.o.Privacy}
	fromHdr, ids := pres.fromHeaders(t.domain)
	req.AppendHeader(fromHdr)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: userPart(number), Host: t.domain}})
	for _, h := range ids {
		req.AppendHeader(h)
	}
	req.AppendHeader(sip.HeaderClone(&t.contact))
	req.AppendHeader(sip.NewHeader("Allow", allowed))
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(offer)

	callCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	dlg, err := t.dua.WriteInvite(callCtx, req)
	if err != nil {
		l.log.Info("trunk: invite", "err", err)
		_ = m.Close()
		l.reject(c, core.Congestion)
		return
	}
	l.log.Info("trunk: outside call", "number", number, "caller", from.Number)
	ringing := make(chan struct{}, 1)
	answered := make(chan error, 1)
	go func() {
		answered <- dlg.WaitAnswer(callCtx, sipgo.AnswerOptions{Username: t.o.Username, Password: t.o.Password,
			OnResponse: func(r *sip.Response) error {
				if r.StatusCode == sip.StatusRinging || r.StatusCode == sip.StatusSessionInProgress {
					select {
					case ringing <- struct{}{}:
					default:
					}
				}
				return nil
			}})
	}()
	rang, cancelled := false, false
	for {
		select {
		case <-ringing:
			if !rang {
				rang = true
				l.post(func() {
					if l.c == c {
						c.Ringing(l)
					}
				})
			}
			continue
		case cm := <-l.cmds:
			if cm.kind == cmdHangup && !cancelled {
				cancelled = true
				cancel() // sipgo sends CANCEL once a provisional came (RFC 3261 §9.1)
			}
			continue
		case err = <-answered:
		}
		break
	}
	if err != nil || cancelled {
		_ = m.Close()
		if err == nil { // answered as we gave up
			l.drop(dlg)
		}
		if !cancelled {
			ind := core.Congestion
			var de *sipgo.ErrDialogResponse
			if errors.As(err, &de) {
				switch de.Res.StatusCode {
				case sip.StatusBusyHere, 600, 603:
					ind = core.Busy
				}
				l.log.Info("trunk: outside call refused", "code", de.Res.StatusCode, "reason", de.Res.Reason)
			} else {
				l.log.Info("trunk: outside call failed", "err", err)
			}
			l.reject(c, ind)
		}
		return
	}
	if err := dlg.Ack(ctx); err != nil {
		l.log.Info("trunk: ack", "err", err)
	}
	if body := sdpBody(dlg.InviteResponse); len(body) > 0 {
		if err := m.Accept(body); err != nil {
			l.log.Info("trunk: answer not acceptable", "err", err)
		}
	}
	fromTag, _ := dlg.InviteRequest.From().Params.Get("tag")
	toTag, _ := dlg.InviteResponse.To().Params.Get("tag")
	l.mu.Lock()
	l.uac, l.sdp = dlg, m
	l.mu.Unlock()
	l.register(dialogKey(dlg.InviteRequest.CallID().Value(), fromTag, toTag))
	l.log.Info("trunk: outside call answered", "number", number)
	l.post(func() {
		l.media = m
		if l.c == c {
			c.Answer(l)
		}
	})
	l.established()
}

// drop hangs up an answer that came too late.
func (l *call) drop(dlg *sipgo.DialogClientSession) {
	ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
	defer cancel()
	_ = dlg.Ack(ctx)
	_ = dlg.Bye(ctx)
}

// reject refuses the offered call in the engine goroutine.
func (l *call) reject(c *core.Call, ind core.Indication) {
	l.post(func() {
		if l.c == c {
			l.c = nil
			c.Reject(l, ind)
		}
	})
}

// established waits for either side to hang up a connected call.
func (l *call) established() {
	for {
		select {
		case c := <-l.cmds:
			if c.kind == cmdHangup {
				l.sendBye()
				l.finish()
				return
			}
		case <-l.bye:
			l.log.Info("trunk: provider hung up")
			l.hangupCall()
			l.finish()
			return
		case <-l.t.stop:
			return
		}
	}
}

// sendBye ends the dialog from our side.
func (l *call) sendBye() {
	l.mu.Lock()
	uas, uac := l.uas, l.uac
	l.mu.Unlock()
	if err := pbxsip.Bye(uas, uac); err != nil {
		l.log.Info("trunk: bye", "err", err)
	}
}

// invite takes a call from the provider to the extension its number leads to.
func (t *Trunk) invite(req *sip.Request, tx sip.ServerTransaction) {
	if tag, _ := req.To().Params.Get("tag"); tag != "" {
		t.reinvite(req, tx)
		return
	}
	ext, ok := Route(req, t.o.DID, t.o.Inbound)
	if !ok {
		t.log.Info("trunk: call to a number we do not serve", "number", req.Recipient.User, "to", req.To().Address.User)
		t.reply(req, tx, sip.StatusNotFound, "Not Found")
		return
	}
	if req.Contact() == nil {
		t.reply(req, tx, sip.StatusBadRequest, "Missing Contact")
		return
	}
	l := t.newCall()
	l.runInbound(req, tx, Caller(req), ext)
}

// runInbound is the life of the provider's call until the final response;
// it returns once the INVITE transaction is done and leaves an answered
// call to its own goroutine.
func (l *call) runInbound(req *sip.Request, tx sip.ServerTransaction, party core.Party, ext string) {
	t := l.t
	dlg, err := t.dua.ReadInvite(req, tx)
	if err != nil {
		t.reply(req, tx, sip.StatusBadRequest, "Bad Request")
		return
	}
	m, err := t.o.Media()
	if err != nil {
		l.log.Error("trunk: media", "err", err)
		_ = dlg.Respond(sip.StatusServiceUnavailable, "Service Unavailable", nil)
		return
	}
	offer := sdpBody(req)
	var local []byte
	if len(offer) > 0 {
		local, err = m.Answer(offer)
	} else {
		local, err = m.Offer()
	}
	if err != nil {
		l.log.Info("trunk: offer not acceptable", "err", err)
		_ = m.Close()
		_ = dlg.Respond(sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
		return
	}
	toTag, _ := dlg.InviteRequest.To().Params.Get("tag")
	fromTag, _ := req.From().Params.Get("tag")
	l.mu.Lock()
	l.uas, l.sdp = dlg, m
	l.mu.Unlock()
	l.register(dialogKey(req.CallID().Value(), toTag, fromTag))
	l.log.Info("trunk: incoming call", "caller", party.Number, "name", party.Name, "ext", ext)

	eng := t.o.Engine
	l.post(func() {
		l.media = m
		if c := eng.Dial(l, party, ext); c.State != core.Ended {
			l.c = c
		}
	})
	ctx := dlg.Context()
	for {
		select {
		case c := <-l.cmds:
			switch {
			case c.kind == cmdIndicate && c.ind == core.Ringing:
				_ = dlg.Respond(sip.StatusRinging, "Ringing", nil)
			case c.kind == cmdIndicate && c.ind == core.Answered:
				if l.answer(dlg, local) {
					go l.established()
				}
				return
			case c.kind == cmdIndicate && c.ind == core.Busy:
				l.finish()
				_ = dlg.Respond(sip.StatusBusyHere, "Busy Here", nil)
				return
			case c.kind == cmdIndicate && c.ind == core.Congestion:
				l.finish()
				_ = dlg.Respond(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", nil)
				return
			case c.kind == cmdHangup:
				l.finish()
				_ = dlg.Respond(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", nil)
				return
			}
		case <-ctx.Done(): // CANCEL, or the transaction died
			l.log.Info("trunk: caller gave up")
			l.hangupCall()
			l.finish()
			return
		}
	}
}

// answer sends our 2xx and waits for its ACK; it reports whether the call is up.
func (l *call) answer(dlg *sipgo.DialogServerSession, local []byte) bool {
	res := sip.NewResponseFromRequest(dlg.InviteRequest, sip.StatusOK, "OK", local)
	res.AppendHeader(sip.HeaderClone(&l.t.contact))
	res.AppendHeader(sip.NewHeader("Allow", allowed))
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	done := make(chan error, 1)
	go func() { done <- dlg.WriteResponse(res) }()
	timer := time.NewTimer(ackTimeout)
	defer timer.Stop()
	select {
	case err := <-done:
		if err == nil {
			return true
		}
		l.log.Info("trunk: answer failed", "err", err)
	case <-timer.C:
		l.log.Info("trunk: no ACK for 200")
	}
	l.hangupCall()
	l.sendBye()
	l.finish()
	return false
}

func (t *Trunk) ack(req *sip.Request, tx sip.ServerTransaction) {
	l := t.callFor(req)
	if l == nil {
		return
	}
	l.mu.Lock()
	uas := l.uas
	l.mu.Unlock()
	if uas == nil {
		return
	}
	if err := uas.ReadAck(req, tx); err != nil && !errors.Is(err, sipgo.ErrDialogInvalidCseq) {
		l.log.Debug("trunk: ack", "err", err)
	}
}

func (t *Trunk) bye(req *sip.Request, tx sip.ServerTransaction) {
	l := t.callFor(req)
	if l == nil {
		t.reply(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	l.mu.Lock()
	uas, uac := l.uas, l.uac
	l.mu.Unlock()
	var err error
	switch {
	case uas != nil:
		err = uas.ReadBye(req, tx)
	case uac != nil:
		err = uac.ReadBye(req, tx)
	}
	if err != nil {
		t.reply(req, tx, sip.StatusOK, "OK")
	}
	select {
	case l.bye <- struct{}{}:
	default:
	}
}

// reinvite answers the provider's new offer in a call: a session refresh,
// hold or resume.
func (t *Trunk) reinvite(req *sip.Request, tx sip.ServerTransaction) {
	l := t.callFor(req)
	if l == nil {
		t.reply(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	l.mu.Lock()
	m := l.sdp
	l.mu.Unlock()
	var body []byte
	var err error
	if offer := sdpBody(req); len(offer) > 0 {
		body, err = m.Answer(offer)
	} else {
		body, err = m.Offer()
	}
	if err != nil {
		t.reply(req, tx, sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", body)
	res.AppendHeader(sip.HeaderClone(&t.contact))
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	if err := tx.Respond(res); err != nil {
		l.log.Debug("trunk: re-invite respond", "err", err)
	}
}
