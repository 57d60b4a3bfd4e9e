package sip

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/core"
	"github.com/hookswitch/hookswitch/pbx/dialplan"
	"github.com/hookswitch/hookswitch/pbx/media"
)

// leg is one SIP dialog as a core.Channel: the B2BUA half of a call that
// faces a SIP phone, or a provider (provider.go). An inbound leg is the UAS
// of a phone's or the provider's INVITE; an outbound leg INVITEs every
// registered contact of a user, or the provider (Server.invites).
//
// Two goroutines share it. The engine goroutine calls the core.Channel
// methods, which never block: they queue commands. The leg's own goroutine
// does the signalling and reports back through Engine.Post. Only the engine
// goroutine touches call and media.
type leg struct {
	s    *Server
	name string
	user string // the SIP user at the far end; "" for a provider
	log  *slog.Logger

	// engine goroutine only
	call  *core.Call
	media Media
	// moved: a transfer put the leg in another call; once that call is
	// connected, the phone is told who it now talks to (identity.go).
	moved bool

	cmds chan cmd      // engine → leg goroutine
	evs  chan legEvent // SIP handlers → leg goroutine

	mu  sync.Mutex // guards the dialog pointers and key for the handlers
	uas *sipgo.DialogServerSession
	uac *sipgo.DialogClientSession
	key string // in s.dialogs once the dialog exists
	sdp Media  // the media, as the signalling side renegotiates it
	// lateOffer: the INVITE had no offer, so the ACK carries the answer.
	lateOffer bool
	// referred: the phone transferred this dialog's call with REFER; once
	// the transfer takes the leg out of its call, the phone's own BYE ends
	// the dialog (RFC 5589 §6, §7).
	referred bool
	// early: a 183 with our answer went out (early media to the caller).
	early bool
	// answered: the inbound dialog is confirmed (our 2xx was ACKed); an
	// inbound dialog before that is early, and not ours to replace (RFC
	// 3891 §3).
	answered bool
	// ringing are the early dialogs of an outbound leg's devices that sent
	// a provisional response with a tag: ours to replace (pickup), and
	// what the busy-lamp field publishes.
	ringing []dialogID
	// offered is the ID of the call the leg was offered (or a transfer
	// moved it to): how the busy-lamp field finds the leg of a call.
	offered uint64
	// refresh is the session interval in seconds that the leg refreshes
	// as the refresher; 0 when the far end does, or there is no session
	// timer (session.go).
	refresh int
}

type cmdKind uint8

const (
	cmdIndicate cmdKind = iota + 1
	cmdHangup
	cmdLeft     // a transfer took the leg out of its call without a hang-up
	cmdIdentity // a transfer changed the party across: tell the phone (identity.go)
)

type cmd struct {
	kind  cmdKind
	ind   core.Indication
	cause core.Cause
	code  int        // the SIP status for a refusal, when known
	party core.Party // cmdIdentity: who the phone talks to now
}

type legEventKind uint8

const (
	evBye     legEventKind = iota + 1 // the far end hung up
	evAck                             // ACK for our 2xx
	evSession                         // the session timer was negotiated anew
	evExpired                         // a session refresh found the far end gone
)

type legEvent struct {
	kind legEventKind
}

// cmdQueue bounds commands waiting for a leg; the engine sends a handful per call.
const cmdQueue = 16

// newLeg makes a leg called name ("sip/200", "trunk/provider") for the
// phones of user ("" for a provider).
func (s *Server) newLeg(name, user string) *leg {
	s.mu.Lock()
	s.nextLeg++
	n := s.nextLeg
	s.mu.Unlock()
	return &leg{s: s, name: name, user: user, log: s.log.With("leg", name, "n", n),
		cmds: make(chan cmd, cmdQueue), evs: make(chan legEvent, 4)}
}

// send queues a command for the leg goroutine without blocking the engine.
func (l *leg) send(c cmd) {
	select {
	case l.cmds <- c:
	default:
		l.log.Error("sip: leg command queue full", "kind", c.kind)
	}
}

func (l *leg) event(e legEvent) {
	select {
	case l.evs <- e:
	default:
	}
}

// post runs fn in the engine goroutine.
func (l *leg) post(fn func()) { l.s.o.Engine.Post(fn) }

// Name identifies the leg: "sip/200", "trunk/provider".
func (l *leg) Name() string { return l.name }

// Offer rings every registered device of the leg's user, or calls the provider.
func (l *leg) Offer(c *core.Call, from core.Party) error {
	reqs, err := l.s.invites(l, c, from)
	if err != nil {
		return err
	}
	l.call = c
	l.mu.Lock()
	l.offered = c.ID
	l.mu.Unlock()
	go l.runOutbound(c, reqs)
	return nil
}

var errNotRegistered = errors.New("sip: user has no registered device")

// Indicate shows the progress of the phone's own call. Once the call is up
// (a transfer can start a new one for it), busy or congestion ends the
// dialog: the phone has no other way to hear it.
func (l *leg) Indicate(c *core.Call, ind core.Indication) {
	if ind == core.Answered && c == l.call && l.moved {
		l.connected(c) // a transfer's target answered
	}
	code := 0
	if ind == core.Congestion {
		code = l.congestionCode(c)
	}
	if ind == core.Busy || ind == core.Congestion {
		l.call = nil
	}
	l.send(cmd{kind: cmdIndicate, ind: ind, code: code})
}

// congestionCode tells an unknown number (404) from a known one that
// cannot be reached now (480).
func (l *leg) congestionCode(c *core.Call) int {
	if c.B == nil {
		if res, _ := l.s.o.Engine.Plan().Match(c.To); res != dialplan.Complete && res != dialplan.Ambiguous {
			return sip.StatusNotFound
		}
	}
	return sip.StatusTemporarilyUnavailable
}

// Hangup ends the leg from the other side.
func (l *leg) Hangup(c *core.Call, cause core.Cause) {
	if c != l.call {
		return
	}
	l.call = nil
	l.send(cmd{kind: cmdHangup, cause: cause})
}

// Transferred follows the leg's call into the call a transfer made of it,
// or, with none, ends the leg's side quietly: a leg that was replaced says
// BYE at once, one whose phone sent the REFER waits for the phone's BYE.
func (l *leg) Transferred(from, to *core.Call) {
	if from != l.call {
		return
	}
	l.call = to
	if to == nil {
		l.send(cmd{kind: cmdLeft})
		return
	}
	l.mu.Lock()
	l.offered = to.ID
	l.mu.Unlock()
	// A provider is outside the trust domain of RFC 3325 §2.3: it is not
	// told who it now talks to, and presents its callers by its own rules.
	l.moved = l.s.prov == nil
	if l.moved && to.State == core.Connected {
		l.connected(to)
	}
}

// Self is the SIP user the leg serves, with the directory's name for it;
// none for a provider's leg, which the engine then knows by the number
// dialled.
func (l *leg) Self() core.Party {
	p := core.Party{Number: l.user}
	if l.s.o.Users != nil {
		_, p.Name, _ = l.s.o.Users.SIPUser(l.user)
	}
	return p
}

// MediaStats gives the RTP session's quality figures for the call record.
func (l *leg) MediaStats() (core.MediaStats, bool) {
	m, ok := l.media.(interface{ Stats() media.Stats })
	if !ok {
		return core.MediaStats{}, false
	}
	st := m.Stats()
	return core.MediaStats{
		Codec: st.Codec, Remote: st.Remote.String(), PacketsSent: st.PacketsSent, PacketsReceived: st.PacketsReceived,
		BytesSent: st.BytesSent, BytesReceived: st.BytesReceived, Lost: st.Lost, Late: st.Late,
		Concealed: st.Concealed, Jitter: st.Jitter, MaxJitter: st.MaxJitter, RTT: st.RTT,
		RemoteLost: st.RemoteLost, RemoteJitter: st.RemoteJitter, R: st.R, MOS: st.MOS,
		Latched: st.Latched, DigitsSent: st.DigitsSent, DigitsReceived: st.DigitsReceived,
	}, true
}

// ReadFrame gives the far end's audio, and passes on digits it sent by RFC 4733.
func (l *leg) ReadFrame(f *hal.Frame) {
	if l.media == nil {
		*f = hal.Frame{}
		return
	}
	l.media.ReadFrame(f)
	if d, ok := l.media.Digit(); ok && l.call != nil {
		l.call.Digit(l, d)
	}
}

// WriteFrame sends audio to the far end.
func (l *leg) WriteFrame(f *hal.Frame) {
	if l.media != nil {
		l.media.WriteFrame(f)
	}
}

// SendDigit sends a digit to the far end as RFC 4733 events.
func (l *leg) SendDigit(d byte) {
	if l.media != nil {
		l.media.SendDigit(d)
	}
}

// closeMedia releases the leg's media in the engine goroutine, where it is used.
func (l *leg) closeMedia() {
	l.post(func() {
		if l.media != nil {
			if err := l.media.Close(); err != nil {
				l.log.Debug("sip: media close", "err", err)
			}
			l.media = nil
		}
	})
}

// finish forgets the dialog and the media.
func (l *leg) finish() {
	l.mu.Lock()
	key := l.key
	l.key = ""
	l.mu.Unlock()
	if key != "" {
		l.s.mu.Lock()
		delete(l.s.dialogs, key)
		l.s.mu.Unlock()
	}
	l.closeMedia()
}

func (l *leg) register(key string) {
	l.mu.Lock()
	l.key = key
	l.mu.Unlock()
	l.s.mu.Lock()
	l.s.dialogs[key] = l
	l.s.mu.Unlock()
}

// dialogKey identifies a dialog from our side (RFC 3261 §12: Call-ID, local
// tag, remote tag).
func dialogKey(callID, local, remote string) string { return callID + "\x00" + local + "\x00" + remote }

// inDialogKey is the key of the dialog an incoming in-dialog request belongs to.
func inDialogKey(req *sip.Request) string {
	to, _ := req.To().Params.Get("tag")
	from, _ := req.From().Params.Get("tag")
	return dialogKey(req.CallID().Value(), to, from)
}

// legFor finds the leg of an in-dialog request. A ringing device's early
// dialog (pickup.go) takes none: we serve no requests in it.
func (s *Server) legFor(req *sip.Request) *leg {
	key := inDialogKey(req)
	s.mu.Lock()
	l := s.dialogs[key]
	s.mu.Unlock()
	if l == nil || l.isRinging(key) {
		return nil
	}
	return l
}

// legByDialog finds the leg of a dialog named from outside, as a REFER's
// Replaces does (RFC 3891 §3: to-tag is our local tag, from-tag the remote
// one; findDialog tries both orders): a phone's own dialog, not a ringing
// device's.
func (s *Server) legByDialog(callID, toTag, fromTag string) *leg {
	l, kind := s.findDialog(callID, toTag, fromTag)
	if kind == dialogRinging {
		return nil
	}
	return l
}

// byeTimeout bounds how long we wait for a BYE's answer.
const byeTimeout = 10 * time.Second

// partyFrom is the caller ID of a SIP request: the From display name and user.
func partyFrom(req *sip.Request) core.Party {
	f := req.From()
	return core.Party{Number: f.Address.User, Name: f.DisplayName}
}

// refusal maps a core indication to the final response for an inbound
// INVITE (RFC 3261 §21.4, §21.6).
func refusal(ind core.Indication, code int) (int, string) {
	switch {
	case ind == core.Busy:
		return sip.StatusBusyHere, "Busy Here"
	case code == sip.StatusNotFound:
		return sip.StatusNotFound, "Not Found"
	case code != 0:
		return code, reasonFor(code)
	}
	return sip.StatusTemporarilyUnavailable, "Temporarily Unavailable"
}

func reasonFor(code int) string {
	switch code {
	case sip.StatusTemporarilyUnavailable:
		return "Temporarily Unavailable"
	case sip.StatusBusyHere:
		return "Busy Here"
	case 603:
		return "Decline"
	case sip.StatusRequestTerminated:
		return "Request Terminated"
	case sip.StatusCallTransactionDoesNotExists:
		return "Call/Transaction Does Not Exist"
	case sip.StatusServiceUnavailable:
		return "Service Unavailable"
	}
	return "Status " + strconv.Itoa(code)
}

// runContext returns a context that ends with the server.
func (s *Server) runContext() (context.Context, context.CancelFunc) {
	return context.WithCancel(s.ctx)
}

// Channel makes the leg for a new call to SIP user ext (a directory.Endpoint).
func (s *Server) Channel(ext string) (core.Channel, error) { return s.newLeg("sip/"+ext, ext), nil }
