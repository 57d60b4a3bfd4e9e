package sip

import (
	"slices"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"

	"github.com/hookswitch/hookswitch/pbx/core"
	"github.com/hookswitch/hookswitch/pbx/sip/subscription"
)

// Call pickup. A phone with a busy-lamp field learns from the dialog
// package (RFC 4235 §4.1.2: call-id, local-tag, remote-tag) which dialog
// alerts at an extension, and picks the call up with an INVITE whose
// Replaces names that dialog (RFC 3891 §3; the flow of RFC 5359 §2.9).
// For a SIP extension the dialog is the early dialog between us and the
// ringing phone: we sent its INVITE, so it is ours to replace, and the
// ringing phone gets CANCEL. An extension without such a dialog (an analog
// port, or a phone that has not yet answered with a tag) is published with
// made-up ids that name the engine's call, which Replaces accepts the same
// way. Either way the engine does the pickup (core.Engine.Pickup).

// dialogID is a dialog as our side names it (RFC 3261 §12): the Call-ID,
// our tag and the phone's tag.
type dialogID struct{ callID, local, remote string }

func (d dialogID) key() string { return dialogKey(d.callID, d.local, d.remote) }

// dialogKind is how a dialog named by Replaces stands for us.
type dialogKind uint8

const (
	dialogConfirmed dialogKind = iota + 1
	// dialogEarlyUAS: a phone's INVITE we have not answered; not ours to
	// replace (RFC 3891 §3: only an early dialog the UA initiated is).
	dialogEarlyUAS
	// dialogRinging: an early dialog of our INVITE to a ringing device.
	dialogRinging
)

// ringingDialog notes the early dialog a provisional response with a tag
// makes (RFC 3261 §12.1.2) for one device of an outbound leg. The first
// one is what the busy-lamp field shows for the call, so its watchers are
// told.
func (l *leg) ringingDialog(req *sip.Request, res *sip.Response) {
	remote, _ := res.To().Params.Get("tag")
	local, _ := req.From().Params.Get("tag")
	if remote == "" || local == "" {
		return
	}
	id := dialogID{callID: req.CallID().Value(), local: local, remote: remote}
	l.mu.Lock()
	if slices.Contains(l.ringing, id) {
		l.mu.Unlock()
		return
	}
	l.ringing = append(l.ringing, id)
	first := len(l.ringing) == 1
	l.mu.Unlock()
	s := l.s
	s.mu.Lock()
	if _, taken := s.dialogs[id.key()]; !taken {
		s.dialogs[id.key()] = l
	}
	s.mu.Unlock()
	if first {
		s.kickDialogWatchers(l.user)
	}
}

// endRinging forgets the leg's early dialogs: the call was answered,
// refused or cancelled. An answered one is registered again as confirmed.
func (l *leg) endRinging() {
	l.mu.Lock()
	ids := l.ringing
	l.ringing = nil
	l.mu.Unlock()
	s := l.s
	s.mu.Lock()
	for _, id := range ids {
		if s.dialogs[id.key()] == l {
			delete(s.dialogs, id.key())
		}
	}
	s.mu.Unlock()
}

// isRinging reports whether key is one of the leg's early dialogs.
func (l *leg) isRinging(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range l.ringing {
		if id.key() == key {
			return true
		}
	}
	return false
}

// kind tells how the leg's dialog under key stands.
func (l *leg) kind(key string) dialogKind {
	if l.isRinging(key) {
		return dialogRinging
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.uac != nil || l.answered {
		return dialogConfirmed
	}
	return dialogEarlyUAS
}

// findDialog finds the leg of a dialog named by Replaces (RFC 3891 §3:
// to-tag is our tag, from-tag the other side's). Some phones swap the two,
// so the other order is tried too.
func (s *Server) findDialog(callID, toTag, fromTag string) (*leg, dialogKind) {
	for _, key := range []string{dialogKey(callID, toTag, fromTag), dialogKey(callID, fromTag, toTag)} {
		s.mu.Lock()
		l := s.dialogs[key]
		s.mu.Unlock()
		if l != nil {
			return l, l.kind(key)
		}
	}
	return nil, 0
}

// ringID is the made-up dialog published for call callID alerting at ext
// when ext has no early dialog of ours to show.
func (s *Server) ringID(callID uint64, ext string) dialogID {
	id := strconv.FormatUint(callID, 10)
	return dialogID{callID: "pickup-" + id + "@" + s.host, local: "pbx" + id, remote: "ext" + SafeUser(ext)}
}

// ringCall reads a made-up dialog back: the engine's call and the
// extension it alerts at, or 0 when r names no such dialog.
func (s *Server) ringCall(r replacesID) (uint64, string) {
	v, ok := strings.CutPrefix(r.callID, "pickup-")
	if !ok {
		return 0, ""
	}
	v, _, _ = strings.Cut(v, "@")
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil || id == 0 {
		return 0, ""
	}
	want := s.ringID(id, "")
	ours, theirs := r.toTag, r.fromTag
	if ours != want.local {
		ours, theirs = theirs, ours
	}
	ext, ok := strings.CutPrefix(theirs, "ext")
	if ours != want.local || !ok || ext == "" || s.ringID(id, ext) != (dialogID{r.callID, ours, theirs}) {
		return 0, ""
	}
	return id, ext
}

// publishedDialog is the dialog the busy-lamp field shows for call callID
// alerting at ext: the first ringing device's early dialog, or made-up ids.
func (s *Server) publishedDialog(ext string, callID uint64) dialogID {
	s.mu.Lock()
	legs := make([]*leg, 0, 4)
	for _, l := range s.dialogs {
		if l.user == ext {
			legs = append(legs, l)
		}
	}
	s.mu.Unlock()
	for _, l := range legs {
		l.mu.Lock()
		offered, ringing := l.offered, l.ringing
		l.mu.Unlock()
		if offered == callID && len(ringing) > 0 {
			return ringing[0]
		}
	}
	return s.ringID(callID, ext)
}

// dialogIDs fills in a busy-lamp entry's dialog identifiers for a call
// alerting at ext, from the watched extension's side (RFC 4235 §4.1.2): its
// local tag is the ringing phone's, its remote tag ours. A picking phone
// sends them back as Replaces to-tag=remote-tag;from-tag=local-tag. A
// server without an engine has no calls to pick up, and publishes none.
func (s *Server) dialogIDs(e *subscription.DialogEntry, ext string, d core.Dialog) {
	if d.State != core.DialogEarly || d.Initiator || s.o.Engine == nil {
		return
	}
	id := s.publishedDialog(ext, d.CallID)
	e.CallID, e.LocalTag, e.RemoteTag = id.callID, id.remote, id.local
}

// kickDialogWatchers has the busy-lamp watchers of ext sent its state again.
func (s *Server) kickDialogWatchers(ext string) {
	for _, e := range s.subs.tab.Watching(subscription.Dialog, ext) {
		s.subs.kick(e.V)
	}
}

// pickup answers the INVITE of leg l, whose Replaces named a ringing
// dialog (old, one of our outbound legs) or a made-up one (call ring at
// extension ext), by picking that call up. A call that is no longer
// alerting there answers 481.
func (s *Server) pickup(req *sip.Request, tx sip.ServerTransaction, l *leg, party core.Party, old *leg, ring uint64, ext string) {
	eng := s.o.Engine
	l.log.Info("sip: pickup", "by", party.Number, "ringing", ext)
	l.runInbound(req, tx, party, func() *core.Call {
		var c *core.Call
		switch {
		case old != nil:
			if c = old.call; c != nil && (c.State != core.Alerting || c.B != core.Channel(old)) {
				c = nil
			}
		default:
			if c = eng.CallByID(ring); c != nil && (c.State != core.Alerting || !alertsAt(c, ext)) {
				c = nil
			}
		}
		if c == nil {
			return l.takeOver(nil, errNoCall)
		}
		return l.takeOver(eng.Pickup(c, l))
	})
}

// alertsAt reports whether alerting call c rings extension ext.
func alertsAt(c *core.Call, ext string) bool {
	if c.B == nil {
		return false
	}
	if id, ok := c.B.(core.Identified); ok {
		return id.Self().Number == ext
	}
	return c.To == ext
}
