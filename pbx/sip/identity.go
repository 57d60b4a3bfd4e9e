package sip

import (
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/hookswitch/hookswitch/pbx/core"
)

// Connected identity after a transfer. A phone whose far end a transfer
// changed (the transferee once the target answers, both parties an
// attended transfer joins, a caller whose ringing call was picked up)
// learns who it now talks to from P-Asserted-Identity (RFC 3325 §9.1), the
// header desk phones display as the connected party. RFC 3261 §12.2.1.1
// keeps From and To fixed within a dialog; RFC 4916 would change them with
// "from-change", which few phones support, and Remote-Party-ID is an
// expired draft. The PBX is the trust domain of its phones (RFC 3325 §2.3),
// so it may assert the identity. It goes in an UPDATE without a body when
// the phone allows UPDATE (RFC 3311 §5.1: an UPDATE need not carry an
// offer), else in a re-INVITE that offers the session unchanged
// (identityMethod); in the 2xx of a picked-up call it rides the answer.

// inDialogTimeout bounds an UPDATE or re-INVITE transaction of ours: Timer F/B, 64·T1 (RFC 3261 §17.1).
const inDialogTimeout = 64 * 500 * time.Millisecond

// connected has the phone told who it talks to in call c; engine goroutine.
func (l *leg) connected(c *core.Call) {
	l.moved = false
	if o := c.Other(l); o != nil {
		l.send(cmd{kind: cmdIdentity, party: c.PartyOf(o)})
	}
}

// assertedIdentity is the P-Asserted-Identity of a party (RFC 3325 §9.1).
func (s *Server) assertedIdentity(p core.Party) sip.Header {
	v := "<sip:" + SafeUser(p.Number) + "@" + s.host + ">"
	if n := SafeDisplay(p.Name); n != "" {
		v = `"` + n + `" ` + v
	}
	return sip.NewHeader("P-Asserted-Identity", v)
}

// identityMethod is how the phone is told: UPDATE when its Allow (in its
// INVITE, when we answered it; in its 2xx, when it answered ours) lists
// UPDATE, else a re-INVITE when it lists INVITE. A phone that lists no
// methods is sent neither: a minimal agent (a gateway, a test tool) may
// not expect a request it never offered to take, and a dropped call
// costs more than a stale display.
func (l *leg) identityMethod() (sip.RequestMethod, bool) {
	l.mu.Lock()
	uas, uac := l.uas, l.uac
	l.mu.Unlock()
	var m interface{ GetHeaders(string) []sip.Header }
	switch {
	case uas != nil:
		m = uas.InviteRequest
	case uac != nil && uac.InviteResponse != nil:
		m = uac.InviteResponse
	default:
		return "", false
	}
	update, invite := false, false
	for _, h := range m.GetHeaders("Allow") {
		for _, t := range strings.Split(h.Value(), ",") {
			switch strings.ToUpper(strings.TrimSpace(t)) {
			case string(sip.UPDATE):
				update = true
			case string(sip.INVITE):
				invite = true
			}
		}
	}
	switch {
	case update:
		return sip.UPDATE, true
	case invite:
		return sip.INVITE, true
	}
	return "", false
}

// sendIdentity tells the phone it now talks to p.
func (l *leg) sendIdentity(p core.Party) {
	method, ok := l.identityMethod()
	if !ok {
		l.log.Debug("sip: phone lists no UPDATE or INVITE; connected identity not sent", "number", p.Number)
		return
	}
	req := l.inDialogRequest(method)
	if req == nil {
		return
	}
	req.AppendHeader(l.s.assertedIdentity(p))
	res, err := l.sessionRequest(req)
	if err != nil {
		l.log.Info("sip: connected identity not sent", "method", string(method), "err", err)
		return
	}
	l.log.Info("sip: connected identity", "method", string(method), "number", p.Number, "code", res.StatusCode)
}

// writeInDialog sends a request in the leg's dialog without a transaction (an ACK).
func (l *leg) writeInDialog(req *sip.Request) error {
	l.mu.Lock()
	uas, uac := l.uas, l.uac
	l.mu.Unlock()
	switch {
	case uas != nil:
		return uas.WriteRequest(req)
	case uac != nil:
		return uac.WriteRequest(req)
	}
	return nil
}
