package sip

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/hookswitch/hookswitch/pbx/core"
)

// Transfers. A phone transfers its call with REFER (RFC 3515) inside the
// dialog of the call it hands over. The B2BUA does the transfer itself in
// the engine instead of passing the REFER on: a Refer-To without Replaces
// is a blind transfer (core.Engine.Transfer: the other party is called to
// the new number); a Refer-To carrying Replaces names another dialog of
// ours (RFC 3891), and the parties across both dialogs are joined
// (core.Engine.Join: attended transfer). Progress goes back to the phone as
// NOTIFY message/sipfrag (RFC 3515 §2.4.4-2.4.5); a target that refuses or
// does not answer in time gets the transferee recalled to the transferor.
// An INVITE carrying Replaces takes over one of our dialogs
// (core.Call.Replace), or picks up a call ringing elsewhere (pickup.go).

// referExpires is the subscription lifetime the NOTIFYs announce; the
// transfer ends well within it (RFC 3515 §2.4.4 leaves it to the notifier).
const referExpires = 60

// referNotifyTimeout bounds one NOTIFY transaction (Timer F is 64·T1, RFC 3261 §17.1.2.2).
const referNotifyTimeout = 32 * time.Second

// referReports bounds the progress reports queued for one REFER's NOTIFYs
// (a transfer produces at most Ringing and a final state).
const referReports = 8

var errReplacesSyntax = errors.New("sip: bad Replaces")

// errNoCall: the dialog a Replaces named has no call left to take over.
var errNoCall = errors.New("sip: no call to take over")

// takeOver ends the attach of an INVITE with Replaces: the leg is in call
// n now (answered), or, when the replace or pickup failed, the phone gets
// 481 (RFC 3891 §3).
func (l *leg) takeOver(n *core.Call, err error) *core.Call {
	if err != nil {
		l.send(cmd{kind: cmdIndicate, ind: core.Congestion, code: sip.StatusCallTransactionDoesNotExists})
		return nil
	}
	l.call = n
	l.Indicate(n, core.Answered)
	return n
}

// replacesID is a dialog named by Replaces (RFC 3891 §6.1).
type replacesID struct {
	callID, toTag, fromTag string
	earlyOnly              bool
}

func parseReplaces(v string) (replacesID, error) {
	parts := strings.Split(v, ";")
	r := replacesID{callID: strings.TrimSpace(parts[0])}
	for _, p := range parts[1:] {
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "to-tag":
			r.toTag = strings.TrimSpace(val)
		case "from-tag":
			r.fromTag = strings.TrimSpace(val)
		case "early-only":
			r.earlyOnly = true
		}
	}
	if r.callID == "" || r.toTag == "" || r.fromTag == "" {
		return replacesID{}, errReplacesSyntax
	}
	return r, nil
}

// referTarget is what a Refer-To asks for: a number to call, or a dialog
// to join with.
type referTarget struct {
	number   string
	replaces *replacesID
}

// parseReferTo reads the one Refer-To (compact form r) of a REFER (RFC 3515
// §2.1). Replaces travels as a URI header, escaped (RFC 3891 §7.1).
func parseReferTo(req *sip.Request) (referTarget, error) {
	hs := req.GetHeaders("Refer-To")
	if len(hs) == 0 {
		hs = req.GetHeaders("r")
	}
	if len(hs) != 1 {
		return referTarget{}, errors.New("sip: REFER needs exactly one Refer-To")
	}
	var uri sip.Uri
	params := sip.NewParams()
	if _, err := sip.ParseAddressValue(hs[0].Value(), &uri, &params); err != nil {
		return referTarget{}, err
	}
	t := referTarget{number: uri.User}
	for _, kv := range uri.Headers {
		if !strings.EqualFold(kv.K, "Replaces") {
			continue
		}
		v, err := url.PathUnescape(kv.V)
		if err != nil {
			return referTarget{}, err
		}
		r, err := parseReplaces(v)
		if err != nil {
			return referTarget{}, err
		}
		t.replaces = &r
	}
	if t.replaces == nil && t.number == "" {
		return referTarget{}, errors.New("sip: Refer-To names no number")
	}
	return t, nil
}

// refer handles a phone's REFER inside one of its dialogs.
func (s *Server) refer(req *sip.Request, tx sip.ServerTransaction) {
	l := s.legFor(req)
	if l == nil {
		s.reply(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	user, ok := s.authenticate(req, tx)
	if !ok {
		return
	}
	if user != l.user {
		s.reply(req, tx, sip.StatusForbidden, "Forbidden")
		return
	}
	target, err := parseReferTo(req)
	if err != nil {
		l.log.Info("sip: refer", "err", err)
		s.reply(req, tx, sip.StatusBadRequest, "Bad Refer-To")
		return
	}
	var other *leg
	if r := target.replaces; r != nil {
		if other = s.legByDialog(r.callID, r.toTag, r.fromTag); other == nil || other == l {
			// RFC 3515 §2.4.2 lets a REFER be refused outright; the
			// dialog to join is not one of ours.
			s.reply(req, tx, sip.StatusCallTransactionDoesNotExists, "Replaced Dialog Does Not Exist")
			return
		}
		if other.user != user {
			s.reply(req, tx, sip.StatusForbidden, "Forbidden")
			return
		}
	}
	// RFC 4488: "Refer-Sub: false" asks for no NOTIFYs.
	notify := true
	if h := req.GetHeader("Refer-Sub"); h != nil && strings.EqualFold(strings.TrimSpace(h.Value()), "false") {
		notify = false
	}
	l.mu.Lock()
	l.referred = true
	l.mu.Unlock()

	res := sip.NewResponseFromRequest(req, sip.StatusAccepted, "Accepted", nil)
	res.AppendHeader(sip.HeaderClone(&s.contact))
	if !notify {
		res.AppendHeader(sip.NewHeader("Refer-Sub", "false"))
	}
	if err := tx.Respond(res); err != nil {
		l.log.Debug("sip: refer respond", "err", err)
	}

	reports := make(chan core.TransferState, referReports)
	report := func(st core.TransferState) {
		select {
		case reports <- st:
		default:
		}
	}
	if notify {
		go l.notifyTransfer(req.CSeq().SeqNo, reports)
	}
	eng := s.o.Engine
	l.log.Info("sip: transfer requested", "to", target.number, "attended", other != nil)
	l.post(func() {
		c := l.call
		var err error
		switch {
		case c == nil:
			err = core.ErrNotTransferable
		case other != nil:
			_, err = eng.Join(c, l, other.call, other, report)
		default:
			_, err = eng.Transfer(c, l, target.number, report)
		}
		if err != nil {
			l.log.Info("sip: transfer refused", "err", err)
			report(core.TransferFailed)
		}
	})
}

// sipfrag is the status line a transfer state reports (RFC 3515 §2.4.5),
// and whether it is final. A failure is reported as the target's final
// response would have been (RFC 3261 §21.4): 486 busy, 404 no such number,
// 480 a known number nobody takes now, 408 no answer within the recall
// time. The engine then rings the transferor back with the transferee.
func sipfrag(st core.TransferState) (string, bool) {
	switch st {
	case core.TransferRinging:
		return "SIP/2.0 180 Ringing", false
	case core.TransferAnswered:
		return "SIP/2.0 200 OK", true
	case core.TransferBusy:
		return "SIP/2.0 486 Busy Here", true
	case core.TransferUnroutable:
		return "SIP/2.0 404 Not Found", true
	case core.TransferUnavailable:
		return "SIP/2.0 480 Temporarily Unavailable", true
	case core.TransferNoAnswer:
		return "SIP/2.0 408 Request Timeout", true
	}
	return "SIP/2.0 503 Service Unavailable", true
}

// notifyTransfer sends the implicit subscription's NOTIFYs: 100 Trying at
// once (RFC 3515 §2.4.4), then each report, the last one terminating the
// subscription (§2.4.7).
func (l *leg) notifyTransfer(referCSeq uint32, reports <-chan core.TransferState) {
	event := "refer;id=" + strconv.FormatUint(uint64(referCSeq), 10) // §2.4.6
	if !l.notify(event, "SIP/2.0 100 Trying", false) {
		return
	}
	timeout := time.NewTimer(referExpires * time.Second)
	defer timeout.Stop()
	for {
		select {
		case st := <-reports:
			frag, final := sipfrag(st)
			if !l.notify(event, frag, final) || final {
				return
			}
		case <-timeout.C:
			// The transfer is still ringing when the subscription runs out
			// (RFC 6665 §4.1.2.3 would have the subscriber refresh; a REFER
			// subscription cannot be refreshed, so it ends here).
			l.notify(event, "SIP/2.0 180 Ringing", true)
			return
		case <-l.s.stop:
			return
		}
	}
}

// notify sends one NOTIFY in the leg's dialog; it reports whether the phone took it.
func (l *leg) notify(event, frag string, final bool) bool {
	state := "active;expires=" + strconv.Itoa(referExpires)
	if final {
		state = "terminated;reason=noresource"
	}
	req := l.inDialogRequest(sip.NOTIFY)
	if req == nil {
		return false
	}
	req.AppendHeader(sip.NewHeader("Event", event))
	req.AppendHeader(sip.NewHeader("Subscription-State", state))
	req.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	req.SetBody([]byte(frag + "\r\n"))
	ctx, cancel := context.WithTimeout(context.Background(), referNotifyTimeout)
	defer cancel()
	res, err := l.do(ctx, req)
	if err != nil || res.StatusCode >= 300 {
		l.log.Info("sip: transfer NOTIFY not taken", "frag", frag, "err", err, "res", res)
		return false
	}
	return true
}

// inDialogRequest starts a request to the phone's remote target (RFC 3261
// §12.2.1.1); the dialog session fills in the dialog's headers.
func (l *leg) inDialogRequest(m sip.RequestMethod) *sip.Request {
	l.mu.Lock()
	uas, uac := l.uas, l.uac
	l.mu.Unlock()
	switch {
	case uas != nil:
		inv := uas.InviteRequest
		return sip.NewRequest(m, *inv.Contact().Address.Clone())
	case uac != nil && uac.InviteResponse != nil && uac.InviteResponse.Contact() != nil:
		return sip.NewRequest(m, *uac.InviteResponse.Contact().Address.Clone())
	}
	return nil
}

// do sends an in-dialog request and waits for its final response.
func (l *leg) do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	l.mu.Lock()
	uas, uac := l.uas, l.uac
	l.mu.Unlock()
	if uas != nil {
		return uas.Do(ctx, req)
	}
	return uac.Do(ctx, req)
}

// replaces answers an INVITE carrying Replaces (RFC 3891 §3): the new leg
// l takes the place of the dialog it names. A confirmed dialog may only be
// taken over by a phone of the same user (a call moved to another device),
// and not with early-only (486). An early dialog is taken only when we
// initiated it, the INVITE to a ringing device: any user's phone picks
// that call up (pickup.go). A phone's INVITE we have not answered, or a
// dialog we do not know, answers 481.
func (s *Server) replaces(req *sip.Request, tx sip.ServerTransaction, l *leg, party core.Party, value string) {
	r, err := parseReplaces(value)
	if err != nil {
		s.reply(req, tx, sip.StatusBadRequest, "Bad Replaces")
		return
	}
	old, kind := s.findDialog(r.callID, r.toTag, r.fromTag)
	if old == nil {
		if ring, ext := s.ringCall(r); ring != 0 {
			s.pickup(req, tx, l, party, nil, ring, ext)
			return
		}
	}
	switch {
	case old == nil, kind == dialogEarlyUAS:
		s.reply(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	case kind == dialogRinging:
		s.pickup(req, tx, l, party, old, 0, old.user)
		return
	case r.earlyOnly: // §3: the dialog is confirmed
		s.reply(req, tx, sip.StatusBusyHere, "Busy Here")
		return
	case old.user != l.user:
		s.reply(req, tx, sip.StatusForbidden, "Forbidden")
		return
	}
	l.runInbound(req, tx, core.Party{Number: l.user}, func() *core.Call {
		if old.call == nil {
			return l.takeOver(nil, errNoCall)
		}
		return l.takeOver(old.call.Replace(old, l))
	})
}
