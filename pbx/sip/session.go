package sip

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Session timers (RFC 4028). We take the session interval the far end
// asks for and, as it asks, either leave the refreshing to it or do it
// ourselves: its INVITE names us (refresher=uas, §9), or the 2xx to ours
// does (refresher=uac, §7.2). The refresher sends a refresh when half the
// interval has passed (§10), by UPDATE without a body where the far end
// allows UPDATE, else by a re-INVITE offering the session unchanged; a
// refresh answered 408 or 481, or not at all, ends the call with BYE (§10).
// Each refresh or re-INVITE from the far end negotiates the timer anew; one
// without Session-Expires turns it off.

var errNoSession = errors.New("sip: no session to offer")

// refreshHalf is when the refresher refreshes a session of se seconds:
// once half of it has passed (RFC 4028 §10).
func refreshHalf(se int) time.Duration { return time.Duration(se) * time.Second / 2 }

// refresherOf reads the refresher parameter of a Session-Expires.
func refresherOf(m interface{ GetHeader(string) sip.Header }) string {
	h := m.GetHeader("Session-Expires")
	if h == nil {
		h = m.GetHeader("x")
	}
	if h == nil {
		return ""
	}
	for _, p := range strings.Split(h.Value(), ";")[1:] {
		if k, v, _ := strings.Cut(strings.TrimSpace(p), "="); strings.EqualFold(k, "refresher") {
			return strings.ToLower(strings.TrimSpace(v))
		}
	}
	return ""
}

// setRefresh records the session interval the leg refreshes (0: the far
// end refreshes, or no timer), and has a running leg goroutine re-arm.
func (l *leg) setRefresh(se int) {
	l.mu.Lock()
	l.refresh = se
	l.mu.Unlock()
	l.event(legEvent{kind: evSession})
}

// refreshTimer arms t for the leg's next refresh and returns its channel,
// or nil when the leg does not refresh.
func (l *leg) refreshTimer(t *time.Timer) <-chan time.Time {
	l.mu.Lock()
	se := l.refresh
	l.mu.Unlock()
	t.Stop()
	if se == 0 {
		return nil
	}
	t.Reset(l.s.refreshAfter(se))
	return t.C
}

// refreshSession sends one refresh (RFC 4028 §7.4: Session-Expires with
// the interval and refresher=uac, as the UAC of the refresh). The far end
// having lost the dialog ends the call.
func (l *leg) refreshSession() {
	l.mu.Lock()
	se := l.refresh
	l.mu.Unlock()
	if se == 0 {
		return
	}
	method, ok := l.identityMethod()
	if !ok {
		// It asked for refreshes, and every UA takes a re-INVITE (RFC 3261 §14).
		method = sip.INVITE
	}
	req := l.inDialogRequest(method)
	if req == nil {
		return
	}
	req.AppendHeader(sip.NewHeader("Session-Expires", strconv.Itoa(se)+";refresher=uac"))
	req.AppendHeader(sip.NewHeader("Supported", "timer"))
	res, err := l.sessionRequest(req)
	switch {
	case errors.Is(err, errNoSession):
	case err != nil, res.StatusCode == sip.StatusRequestTimeout, res.StatusCode == sip.StatusCallTransactionDoesNotExists:
		l.log.Info("sip: session refresh failed", "method", string(method), "err", err, "res", res)
		l.event(legEvent{kind: evExpired})
	default:
		l.log.Debug("sip: session refreshed", "method", string(method), "code", res.StatusCode)
	}
}

// sessionRequest sends an UPDATE, or a re-INVITE offering the session
// unchanged, in the leg's dialog and waits for the final response; the 2xx
// of a re-INVITE is acknowledged and its answer applied.
func (l *leg) sessionRequest(req *sip.Request) (*sip.Response, error) {
	l.mu.Lock()
	m := l.sdp
	l.mu.Unlock()
	if req.Method == sip.INVITE {
		if m == nil {
			return nil, errNoSession
		}
		offer, err := m.Offer()
		if err != nil {
			return nil, err
		}
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		req.SetBody(offer)
	}
	ctx, cancel := context.WithTimeout(context.Background(), inDialogTimeout)
	defer cancel()
	res, err := l.do(ctx, req)
	if err != nil || req.Method != sip.INVITE || !res.IsSuccess() {
		return res, err
	}
	if body, _ := sdpBody(res); len(body) > 0 {
		if err := m.Accept(body); err != nil {
			l.log.Info("sip: re-INVITE answer", "err", err)
		}
	}
	// RFC 3261 §13.2.2.4: the 2xx is acknowledged end to end.
	if err := l.writeInDialog(sip.NewRequest(sip.ACK, req.Recipient)); err != nil {
		l.log.Info("sip: re-INVITE ACK", "err", err)
	}
	return res, nil
}
