package sip

import (
	"context"
	"errors"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/hookswitch/hookswitch/pbx/core"
	"github.com/hookswitch/hookswitch/pbx/sip/registrar"
)

// branch is one INVITE of a forked outbound call: one registered device.
type branch struct {
	dlg    *sipgo.DialogClientSession
	cancel context.CancelFunc
}

type branchResult struct {
	i   int
	err error
}

// invites addresses the INVITEs of outbound leg l for call c from caller
// from: one to every registered device of its user, or one to the
// provider, which presents the caller by its own rules.
func (s *Server) invites(l *leg, c *core.Call, from core.Party) ([]*sip.Request, error) {
	if s.prov != nil {
		req, err := s.prov.Invite(c, from)
		if err != nil {
			return nil, err
		}
		req.SetDestination(s.prov.Host)
		req.SetTransport("UDP")
		return []*sip.Request{req}, nil
	}
	contacts := s.reg.Contacts(l.user, s.now())
	if len(contacts) == 0 {
		return nil, errNotRegistered
	}
	reqs := make([]*sip.Request, len(contacts))
	for i, b := range contacts {
		reqs[i] = l.inviteTo(b, from)
	}
	return reqs, nil
}

// runOutbound sends the INVITEs (one per device) with our offer; the first
// device to answer gets the call and the others are cancelled (RFC 3261
// §16.7 step 10, done here by the B2BUA). A challenge is answered with the
// provider's credentials.
func (l *leg) runOutbound(c *core.Call, reqs []*sip.Request) {
	s := l.s
	m, err := s.o.Media()
	var offer []byte
	if err == nil {
		offer, err = m.Offer()
		if err != nil {
			_ = m.Close()
		}
	}
	if err != nil {
		l.log.Error("sip: media", "err", err)
		l.reject(c, core.Congestion)
		return
	}
	ctx, stop := s.runContext()
	defer stop()

	var creds sipgo.AnswerOptions
	if s.prov != nil {
		creds.Username, creds.Password = s.prov.Username, s.prov.Password
	}
	results := make(chan branchResult, len(reqs))
	ringing := make(chan struct{}, len(reqs)*4)
	progress := make(chan []byte, len(reqs)*4) // SDP of a 183: early media
	branches := make([]*branch, len(reqs))
	pending := 0
	for i, req := range reqs {
		bctx, cancel := context.WithCancel(ctx)
		req.AppendHeader(sip.HeaderClone(&s.contact))
		req.AppendHeader(sip.NewHeader("Allow", s.allow))
		if s.supported != "" {
			req.AppendHeader(sip.NewHeader("Supported", s.supported))
		}
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		req.SetBody(offer)
		dlg, err := s.dua.WriteInvite(bctx, req)
		if err != nil {
			cancel()
			l.log.Info("sip: invite", "to", req.Recipient.String(), "err", err)
			continue
		}
		branches[i] = &branch{dlg: dlg, cancel: cancel}
		pending++
		go func() {
			opts := creds
			opts.OnResponse = func(r *sip.Response) error {
				if r.StatusCode > 100 && r.StatusCode < 200 {
					l.ringingDialog(dlg.InviteRequest, r) // pickup.go
				}
				if r.StatusCode == sip.StatusRinging || r.StatusCode == sip.StatusSessionInProgress {
					select {
					case ringing <- struct{}{}:
					default:
					}
				}
				if body, _ := sdpBody(r); r.StatusCode == sip.StatusSessionInProgress && len(body) > 0 {
					select {
					case progress <- body:
					default:
					}
				}
				return nil
			}
			results <- branchResult{i, dlg.WaitAnswer(bctx, opts)}
		}()
	}
	if pending == 0 {
		_ = m.Close()
		l.reject(c, core.Congestion)
		return
	}

	winner := -1
	busy, rang, cancelled, early := false, false, false, false
	for pending > 0 && winner < 0 {
		select {
		case <-ringing:
			if !rang {
				rang = true
				l.post(func() {
					if l.call != nil {
						l.call.Ringing(l)
					}
				})
			}
		case body := <-progress:
			// Early media (RFC 3960): the first device's 183 answer sets up
			// the session, and its progress audio reaches the caller.
			if early || cancelled {
				continue
			}
			if err := m.Accept(body); err != nil {
				l.log.Info("sip: early media answer not acceptable", "err", err)
				continue
			}
			early = true
			l.mu.Lock()
			l.sdp = m
			l.mu.Unlock()
			l.post(func() {
				l.media = m
				if l.call != nil {
					l.call.Progress(l)
				}
			})
		case r := <-results:
			pending--
			if r.err == nil && !cancelled {
				winner = r.i
				continue
			}
			var de *sipgo.ErrDialogResponse
			if errors.As(r.err, &de) {
				switch de.Res.StatusCode {
				case sip.StatusBusyHere, 600, 603:
					busy = true
				}
			}
			if r.err != nil && !cancelled {
				l.log.Info("sip: call not answered", "to", reqs[r.i].Recipient.String(), "err", r.err)
			}
			if r.err == nil { // answered after we gave up
				l.drop(branches[r.i].dlg)
			}
		case cm := <-l.cmds:
			if (cm.kind == cmdHangup || cm.kind == cmdLeft) && !cancelled {
				cancelled = true
				for _, b := range branches {
					if b != nil {
						b.cancel()
					}
				}
			}
		}
	}
	l.endRinging()
	if winner < 0 {
		if early {
			l.closeMedia()
		} else {
			_ = m.Close()
		}
		if !cancelled {
			ind := core.Congestion
			if busy {
				ind = core.Busy
			}
			l.reject(c, ind)
		}
		return
	}

	// The first answer wins: cancel the other devices, and hang up any that
	// answered at the same moment.
	for i, b := range branches {
		if b != nil && i != winner {
			b.cancel()
		}
	}
	go func() {
		for ; pending > 0; pending-- {
			if r := <-results; r.err == nil {
				l.drop(branches[r.i].dlg)
			}
		}
	}()
	dlg := branches[winner].dlg
	if err := dlg.Ack(ctx); err != nil {
		l.log.Info("sip: ack", "err", err)
	}
	if body, _ := sdpBody(dlg.InviteResponse); len(body) > 0 {
		if err := m.Accept(body); err != nil {
			l.log.Info("sip: answer not acceptable", "err", err)
		}
	}
	if se, ok := sessionExpires(dlg.InviteResponse); ok && refresherOf(dlg.InviteResponse) == "uac" {
		l.setRefresh(se) // RFC 4028 §7.2: the answer makes us the refresher
	}
	from_, _ := dlg.InviteRequest.From().Params.Get("tag")
	to, _ := dlg.InviteResponse.To().Params.Get("tag")
	l.mu.Lock()
	l.uac, l.sdp = dlg, m
	l.mu.Unlock()
	l.register(dialogKey(dlg.InviteRequest.CallID().Value(), from_, to))
	l.log.Info("sip: answered", "to", reqs[winner].Recipient.String())
	l.post(func() {
		l.media = m
		if l.call != nil {
			l.call.Answer(l)
			if l.moved { // a semi-attended transfer: the phone answered someone else
				l.connected(l.call)
			}
		}
	})
	l.established()
}

// inviteTo addresses the INVITE for one registered device, with the
// caller's name and number in From (what the phone shows as caller ID).
func (l *leg) inviteTo(b registrar.Binding, from core.Party) *sip.Request {
	s := l.s
	req := sip.NewRequest(sip.INVITE, *b.Contact.Clone())
	req.SetDestination(b.Destination())
	req.SetTransport(b.Transport)
	f := &sip.FromHeader{DisplayName: SafeDisplay(from.Name), Address: sip.Uri{Scheme: "sip", User: SafeUser(from.Number), Host: s.host}}
	f.Params = sip.NewParams()
	f.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(f)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: l.user, Host: s.host}})
	return req
}

// drop hangs up a device that answered too late.
func (l *leg) drop(dlg *sipgo.DialogClientSession) {
	ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
	defer cancel()
	_ = dlg.Ack(ctx)
	_ = dlg.Bye(ctx)
}

// reject refuses the offered call in the engine goroutine.
func (l *leg) reject(c *core.Call, ind core.Indication) {
	l.post(func() {
		if c := l.call; c != nil {
			l.call = nil
			c.Reject(l, ind)
		}
	})
}

// SafeDisplay makes a display name safe inside a quoted string (RFC 3261
// §25.1 quoted-string): printable, without quotes or backslashes, trimmed,
// so a caller's or provider's name cannot break a header.
func SafeDisplay(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x20 && c != '"' && c != '\\' && c != 0x7f {
			out = append(out, c)
		}
	}
	return strings.TrimSpace(string(out))
}

// SafeUser keeps the characters a number may carry in a SIP URI user part,
// "anonymous" when none are left.
func SafeUser(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.IndexByte("+*#-.", c) >= 0 {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return "anonymous"
	}
	return string(out)
}
