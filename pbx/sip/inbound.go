package sip

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/hookswitch/hookswitch/pbx/core"
)

// ackTimeout is how long a 2xx waits for its ACK: 64·T1 (RFC 3261 §13.3.1.4).
const ackTimeout = 64 * 500 * time.Millisecond

// minSE is the smallest session interval we accept (RFC 4028 §5: 90 s).
const minSE = 90

// newCall answers what every INVITE gets before it can start a call: one
// inside a dialog is a re-INVITE, and a session interval below ours is
// refused (RFC 4028 §8.1). It reports whether the INVITE is a new call.
func (s *Server) newCall(req *sip.Request, tx sip.ServerTransaction) bool {
	if tag, _ := req.To().Params.Get("tag"); tag != "" {
		s.renegotiate(req, tx)
		return false
	}
	if se, ok := sessionExpires(req); ok && se < minSE {
		s.reply(req, tx, 422, "Session Interval Too Small", sip.NewHeader("Min-SE", strconv.Itoa(minSE)))
		return false
	}
	return true
}

// invite takes a phone's call.
func (s *Server) invite(req *sip.Request, tx sip.ServerTransaction) {
	if !s.newCall(req, tx) {
		return
	}
	user, ok := s.authenticate(req, tx)
	if !ok {
		return
	}
	if s.o.Engine == nil || s.o.Media == nil {
		s.reply(req, tx, sip.StatusServiceUnavailable, "Service Unavailable")
		return
	}
	// The caller's number is the account that authenticated: a phone cannot
	// claim another extension. The display name is the phone's, or the
	// directory's when the phone sends none.
	party := partyFrom(req)
	party.Number = user
	if party.Name == "" && s.o.Users != nil {
		_, party.Name, _ = s.o.Users.SIPUser(user)
	}
	l := s.newLeg("sip/"+user, user)
	if h := req.GetHeader("Replaces"); h != nil {
		s.replaces(req, tx, l, party, h.Value())
		return
	}
	number := req.Recipient.User
	eng := s.o.Engine
	l.runInbound(req, tx, party, func() *core.Call { return eng.Dial(l, party, number) })
}

// sessionExpires reads RFC 4028 Session-Expires (compact form x) of a
// request or response.
func sessionExpires(req interface{ GetHeader(string) sip.Header }) (int, bool) {
	h := req.GetHeader("Session-Expires")
	if h == nil {
		h = req.GetHeader("x")
	}
	if h == nil {
		return 0, false
	}
	v, _, _ := strings.Cut(h.Value(), ";")
	n, err := strconv.Atoi(strings.TrimSpace(v))
	return n, err == nil
}

func supports(req *sip.Request, tag string) bool {
	for _, name := range []string{"Supported", "k", "Require"} {
		for _, h := range req.GetHeaders(name) {
			for _, t := range strings.Split(h.Value(), ",") {
				if strings.EqualFold(strings.TrimSpace(t), tag) {
					return true
				}
			}
		}
	}
	return false
}

// answerHeaders are the headers of our 2xx to an INVITE or UPDATE: the
// session timer accepted as the UAC asked, with the refresher left to it
// (RFC 4028 §9), and what we allow. refresh is the session interval when
// the UAC made us the refresher, else 0.
func (s *Server) answerHeaders(req *sip.Request, res *sip.Response) (refresh int) {
	res.AppendHeader(sip.NewHeader("Allow", s.allow))
	if s.supported != "" {
		res.AppendHeader(sip.NewHeader("Supported", s.supported))
	}
	if se, ok := sessionExpires(req); ok && supports(req, "timer") {
		refresher := "uac"
		if refresherOf(req) == "uas" {
			refresher, refresh = "uas", se
		}
		res.AppendHeader(sip.NewHeader("Session-Expires", strconv.Itoa(se)+";refresher="+refresher))
		res.AppendHeader(sip.NewHeader("Require", "timer"))
	}
	if len(res.Body()) > 0 {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	return refresh
}

// runInbound is the life of a phone's or the provider's call until the
// final response: it returns once the INVITE transaction is done, and
// leaves an answered call to the leg's own goroutine. attach puts the leg
// in a call, in the engine goroutine: it dials the number the phone asked
// for (or the extension the provider's number leads to), or (Replaces)
// takes another leg's place; nil or an ended call means it did not.
func (l *leg) runInbound(req *sip.Request, tx sip.ServerTransaction, party core.Party, attach func() *core.Call) {
	s := l.s
	dlg, err := s.dua.ReadInvite(req, tx)
	if err != nil {
		s.reply(req, tx, sip.StatusBadRequest, "Bad Request")
		return
	}
	m, err := s.o.Media()
	if err != nil {
		l.log.Error("sip: media", "err", err)
		_ = dlg.Respond(sip.StatusServiceUnavailable, "Service Unavailable", nil)
		return
	}
	offer, _ := sdpBody(req)
	var local []byte
	if len(offer) > 0 {
		local, err = m.Answer(offer)
	} else {
		local, err = m.Offer() // a late offer: the answer comes in the ACK
	}
	if err != nil {
		l.log.Info("sip: offer not acceptable", "err", err)
		_ = m.Close()
		_ = dlg.Respond(sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
		return
	}
	to, _ := dlg.InviteRequest.To().Params.Get("tag")
	from, _ := req.From().Params.Get("tag")
	l.mu.Lock()
	l.uas, l.sdp, l.lateOffer = dlg, m, len(offer) == 0
	l.mu.Unlock()
	l.register(dialogKey(req.CallID().Value(), to, from))
	l.log.Info("sip: call", "from", party.Number, "name", party.Name, "to", req.Recipient.User, "src", req.Source())

	l.post(func() {
		l.media = m
		if c := attach(); c != nil && c.State != core.Ended {
			l.call = c
		}
	})

	ctx := dlg.Context()
	var connected *core.Party // who a pickup connects the caller to: the 2xx says so
	for {
		select {
		case c := <-l.cmds:
			switch {
			case c.kind == cmdIdentity:
				connected = &c.party
			case c.kind == cmdIndicate && c.ind == core.Ringing:
				if !l.early {
					_ = dlg.Respond(sip.StatusRinging, "Ringing", nil)
				}
			case c.kind == cmdIndicate && c.ind == core.Progress:
				// RFC 3960 §3.1 (gateway model): the answer goes out in a 183
				// and the called side's progress audio flows before the 200,
				// which repeats the same answer (RFC 3261 §13.2.1).
				l.early = true
				_ = dlg.Respond(sip.StatusSessionInProgress, "Session Progress", local,
					sip.NewHeader("Content-Type", "application/sdp"))
			case c.kind == cmdIndicate && c.ind == core.Answered:
				if l.answer(req, dlg, local, connected) {
					go l.established()
				}
				return
			case c.kind == cmdIndicate && (c.ind == core.Busy || c.ind == core.Congestion):
				code, reason := refusal(c.ind, c.code)
				l.finish()
				_ = dlg.Respond(code, reason, nil)
				return
			case c.kind == cmdHangup: // the far end gave up before answering
				l.finish()
				_ = dlg.Respond(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", nil)
				return
			case c.kind == cmdLeft: // a transfer took over the call we were placing
				l.finish()
				_ = dlg.Respond(sip.StatusRequestTerminated, "Request Terminated", nil)
				return
			}
		case <-ctx.Done(): // CANCEL, or the transaction died
			l.log.Info("sip: caller cancelled")
			l.hangupCall()
			l.finish()
			return
		}
	}
}

// answer sends the 2xx and waits for its ACK; it reports whether the call
// is up. connected, when not nil, is who answered in place of the party
// called (a pickup), asserted in the 2xx (identity.go).
func (l *leg) answer(req *sip.Request, dlg *sipgo.DialogServerSession, local []byte, connected *core.Party) bool {
	l.mu.Lock()
	l.answered = true // the 2xx confirms the dialog on our side (RFC 3261 §12.1.1)
	l.mu.Unlock()
	res := sip.NewResponseFromRequest(dlg.InviteRequest, sip.StatusOK, "OK", local)
	res.AppendHeader(sip.HeaderClone(&l.s.contact))
	if connected != nil {
		res.AppendHeader(l.s.assertedIdentity(*connected))
	}
	l.setRefresh(l.s.answerHeaders(req, res))
	done := make(chan error, 1)
	go func() { done <- dlg.WriteResponse(res) }()
	t := time.NewTimer(ackTimeout)
	defer t.Stop()
	select {
	case err := <-done:
		if err == nil {
			return true
		}
		l.log.Info("sip: answer failed", "err", err)
	case <-t.C:
		l.log.Info("sip: no ACK for 200")
	}
	l.hangupCall()
	l.bye()
	l.finish()
	return false
}

// hangupCall ends the call from this leg's side, in the engine goroutine.
func (l *leg) hangupCall() {
	l.post(func() {
		if c := l.call; c != nil {
			l.call = nil
			c.Hangup(l)
		}
	})
}

// referByeWait is how long a phone that transferred its call with REFER has
// to send its own BYE once the transfer took the leg out of the call, before
// we end the dialog ourselves: 64·T1, the transaction timeout of RFC 3261 §17.
const referByeWait = 64 * 500 * time.Millisecond

// established waits for either side to hang up a connected call, and
// refreshes the session when the leg is the refresher (session.go).
func (l *leg) established() {
	var waitBye <-chan time.Time
	refresh := time.NewTimer(time.Hour)
	defer refresh.Stop()
	refreshC := l.refreshTimer(refresh)
	for {
		select {
		case c := <-l.cmds:
			switch {
			case c.kind == cmdHangup,
				c.kind == cmdIndicate && (c.ind == core.Busy || c.ind == core.Congestion):
				l.bye()
				l.finish()
				return
			case c.kind == cmdLeft:
				l.mu.Lock()
				referred := l.referred
				l.mu.Unlock()
				if !referred {
					l.log.Info("sip: replaced by a transfer")
					l.bye()
					l.finish()
					return
				}
				t := time.NewTimer(referByeWait)
				defer t.Stop()
				waitBye = t.C
			case c.kind == cmdIdentity:
				go l.sendIdentity(c.party)
			}
		case <-waitBye:
			l.log.Info("sip: no BYE from the transferring phone")
			l.bye()
			l.finish()
			return
		case <-refreshC:
			go l.refreshSession()
			refreshC = l.refreshTimer(refresh)
		case e := <-l.evs:
			switch e.kind {
			case evBye:
				l.log.Info("sip: far end hung up")
				l.hangupCall()
				l.finish()
				return
			case evExpired:
				l.hangupCall()
				l.bye()
				l.finish()
				return
			case evSession:
				refreshC = l.refreshTimer(refresh)
			}
		case <-l.s.stop:
			return
		}
	}
}

// bye ends the dialog from our side.
func (l *leg) bye() {
	l.mu.Lock()
	uas, uac := l.uas, l.uac
	l.mu.Unlock()
	if err := byeDialog(uas, uac); err != nil {
		l.log.Info("sip: bye", "err", err)
	}
}

// byeDialog ends a dialog from our side, whichever side of it we are: as
// the UAS the BYE goes to the INVITE's source, since the phone may be
// behind NAT. It waits at most byeTimeout for the answer.
func byeDialog(uas *sipgo.DialogServerSession, uac *sipgo.DialogClientSession) error {
	ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
	defer cancel()
	switch {
	case uas != nil:
		inv := uas.InviteRequest
		bye := sip.NewRequest(sip.BYE, *inv.Contact().Address.Clone())
		bye.SetDestination(inv.Source())
		bye.SetTransport(inv.Transport())
		return uas.WriteBye(ctx, bye)
	case uac != nil:
		return uac.Bye(ctx)
	}
	return nil
}

func (s *Server) ack(req *sip.Request, tx sip.ServerTransaction) {
	l := s.legFor(req)
	if l == nil {
		return // the ACK of a refused INVITE is absorbed by its transaction; others are stray
	}
	l.mu.Lock()
	uas, m, late := l.uas, l.sdp, l.lateOffer
	l.lateOffer = false
	l.mu.Unlock()
	if uas == nil {
		return
	}
	if late {
		if body, _ := sdpBody(req); len(body) > 0 {
			if err := m.Accept(body); err != nil {
				l.log.Info("sip: answer in ACK", "err", err)
			}
		}
	}
	if err := uas.ReadAck(req, tx); err != nil && !errors.Is(err, sipgo.ErrDialogInvalidCseq) {
		l.log.Debug("sip: ack", "err", err)
	}
}

func (s *Server) bye(req *sip.Request, tx sip.ServerTransaction) {
	l := s.legFor(req)
	if l == nil {
		s.reply(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
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
		s.reply(req, tx, sip.StatusOK, "OK")
	}
	l.event(legEvent{kind: evBye})
}

func (s *Server) cancel(req *sip.Request, tx sip.ServerTransaction) {
	// A CANCEL that matched an INVITE was handled by the transaction layer.
	s.reply(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
}

// renegotiate answers a re-INVITE or UPDATE inside a dialog: hold, resume,
// a session refresh.
func (s *Server) renegotiate(req *sip.Request, tx sip.ServerTransaction) {
	l := s.legFor(req)
	if l == nil {
		s.reply(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	l.mu.Lock()
	m := l.sdp
	l.mu.Unlock()
	offer, _ := sdpBody(req)
	var body []byte
	var err error
	switch {
	case len(offer) > 0:
		body, err = m.Answer(offer)
		dir := direction(offer)
		l.log.Info("sip: media renegotiated", "method", string(req.Method), "direction", dir)
		if err == nil {
			// RFC 3264 §8.4: sendonly or inactive from the phone puts the
			// call on hold; the other party hears hold music meanwhile.
			hold := dir == "sendonly" || dir == "inactive"
			l.post(func() {
				switch c := l.call; {
				case c == nil:
				case hold:
					c.Hold(l)
				default:
					c.Resume(l)
				}
			})
		}
	case req.Method == sip.INVITE:
		body, err = m.Offer()
	}
	if err != nil {
		s.reply(req, tx, sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", body)
	res.AppendHeader(sip.HeaderClone(&s.contact))
	l.setRefresh(s.answerHeaders(req, res))
	if err := tx.Respond(res); err != nil {
		l.log.Debug("sip: re-invite respond", "err", err)
	}
}

// direction is the a= direction attribute of an SDP body; a connection
// address of 0.0.0.0 is the older way to say inactive (RFC 3264 §8.4).
func direction(sdp []byte) string {
	if strings.Contains(string(sdp), "c=IN IP4 0.0.0.0") {
		return "inactive"
	}
	for _, d := range []string{"sendonly", "recvonly", "inactive"} {
		if strings.Contains(string(sdp), "a="+d) {
			return d
		}
	}
	return "sendrecv"
}

// info takes DTMF sent as SIP INFO: application/dtmf-relay ("Signal=5")
// or application/dtmf ("5").
func (s *Server) info(req *sip.Request, tx sip.ServerTransaction) {
	l := s.legFor(req)
	if l == nil {
		s.reply(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	if d, ok := infoDigit(req); ok {
		l.post(func() {
			if l.call != nil {
				l.call.Digit(l, d)
			}
		})
	}
	s.reply(req, tx, sip.StatusOK, "OK")
}

func infoDigit(req *sip.Request) (byte, bool) {
	ct := ""
	if h := req.GetHeader("Content-Type"); h != nil {
		ct = strings.ToLower(h.Value())
	}
	body := strings.TrimSpace(string(req.Body()))
	var sig string
	switch {
	case strings.HasPrefix(ct, "application/dtmf-relay"):
		for _, line := range strings.Split(body, "\n") {
			k, v, ok := strings.Cut(line, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "signal") {
				sig = strings.TrimSpace(v)
			}
		}
	case strings.HasPrefix(ct, "application/dtmf"):
		sig = body
	default:
		return 0, false
	}
	switch {
	case len(sig) == 1 && strings.Contains("0123456789*#ABCDabcd", sig):
		return strings.ToUpper(sig)[0], true
	case sig == "10":
		return '*', true
	case sig == "11":
		return '#', true
	}
	return 0, false
}
