package sip

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/hookswitch/hookswitch/pbx/core"
	"github.com/hookswitch/hookswitch/pbx/dialplan"
	"github.com/hookswitch/hookswitch/pbx/sip/subscription"
)

// allowEvents lists the event packages we notify (RFC 6665 §8.2.2 Allow-Events).
const allowEvents = subscription.MessageSummary + ", " + subscription.Dialog

// notifyTimeout bounds one NOTIFY transaction: Timer F, 64·T1 (RFC 3261 §17.1.2.2).
const notifyTimeout = 64 * 500 * time.Millisecond

// sweepEvery is how often expired subscriptions are looked for.
const sweepEvery = time.Second

// notifier keeps the SUBSCRIBE dialogs and sends their NOTIFYs.
type notifier struct {
	s   *Server
	tab *subscription.Table[*subDialog]

	mu      sync.Mutex
	dialogs map[string][]core.Dialog // by extension, as the engine last reported them
}

func newNotifier(s *Server) *notifier {
	return &notifier{s: s, tab: subscription.NewTable[*subDialog](subscription.Limits{}),
		dialogs: map[string][]core.Dialog{}}
}

// subDialog is our side of one subscription dialog (RFC 6665 §4.1.2,
// RFC 3261 §12.1.1): what a NOTIFY needs.
type subDialog struct {
	key      string
	event    string
	eventID  string // the Event header's id parameter, echoed in NOTIFY (RFC 6665 §8.2.1)
	resource string // the extension watched
	callID   string
	local    sip.Uri // the resource's URI: our From
	localTag string
	remote   sip.Uri // the subscriber: our To
	remTag   string
	target   sip.Uri // the subscriber's Contact: our Request-URI
	dest     string  // where the SUBSCRIBE came from (the phone may be behind NAT)
	trans    string
	routes   []sip.Uri // the route set from Record-Route

	mu      sync.Mutex
	cseq    uint32
	version uint32 // dialog-info version, 0 in the first NOTIFY (RFC 4235 §4.1)
	expires time.Time
	final   string // the Subscription-State reason once ending; "" while active
	sending bool   // a worker is sending; changes meanwhile set again
	again   bool
	done    bool // the terminating NOTIFY went out
}

// eventOf reads the Event header (compact form o): the package and its id.
func eventOf(req *sip.Request) (pkg, id string) {
	h := req.GetHeader("Event")
	if h == nil {
		h = req.GetHeader("o")
	}
	if h == nil {
		return "", ""
	}
	parts := strings.Split(h.Value(), ";")
	pkg = strings.ToLower(strings.TrimSpace(parts[0]))
	for _, p := range parts[1:] {
		if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "id") {
			id = strings.TrimSpace(v)
		}
	}
	return pkg, id
}

// expiresOf is the Expires a request asked for, or -1.
func expiresOf(req *sip.Request) int {
	h := req.GetHeader("Expires")
	if h == nil {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(h.Value()))
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// knownExt reports whether ext is an extension of the dial plan (analog
// or SIP): the resources a busy-lamp field may watch.
func (s *Server) knownExt(ext string) bool {
	if s.o.Engine != nil {
		res, e := s.o.Engine.Plan().Match(ext)
		return res == dialplan.Complete && e.Kind == dialplan.Extension && e.Target == ext
	}
	if s.o.Users != nil {
		_, _, ok := s.o.Users.SIPUser(ext)
		return ok
	}
	return false
}

// subscribe creates, refreshes or ends a subscription (RFC 6665 §4.2.1).
func (s *Server) subscribe(req *sip.Request, tx sip.ServerTransaction) {
	pkg, id := eventOf(req)
	if pkg != subscription.MessageSummary && pkg != subscription.Dialog {
		// RFC 6665 §4.2.1.1: an event package we do not know is 489.
		s.reply(req, tx, 489, "Bad Event", sip.NewHeader("Allow-Events", allowEvents))
		return
	}
	user, ok := s.authenticate(req, tx)
	if !ok {
		return
	}
	life, brief := subscription.Lifetime(expiresOf(req))
	if brief {
		s.reply(req, tx, sip.StatusIntervalToBrief, "Interval Too Brief",
			sip.NewHeader("Min-Expires", strconv.Itoa(int(subscription.MinExpires/time.Second))))
		return
	}
	now := s.now()
	n := s.subs
	if tag, _ := req.To().Params.Get("tag"); tag != "" {
		n.refresh(req, tx, user, pkg, life, now)
		return
	}

	resource := req.Recipient.User
	switch {
	case pkg == subscription.MessageSummary && resource != user:
		// A mailbox's counts are its owner's business.
		s.reply(req, tx, sip.StatusForbidden, "Forbidden")
		return
	case pkg == subscription.Dialog && !s.knownExt(resource):
		s.reply(req, tx, sip.StatusNotFound, "Not Found")
		return
	}
	ct := req.Contact()
	if ct == nil {
		s.reply(req, tx, sip.StatusBadRequest, "Missing Contact")
		return
	}
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	localTag, _ := res.To().Params.Get("tag")
	remTag, _ := req.From().Params.Get("tag")
	d := &subDialog{
		key: dialogKey(req.CallID().Value(), localTag, remTag), event: pkg, eventID: id, resource: resource,
		callID: req.CallID().Value(), local: sip.Uri{Scheme: "sip", User: resource, Host: s.host}, localTag: localTag,
		remote: *req.From().Address.Clone(), remTag: remTag, target: *ct.Address.Clone(),
		dest: req.Source(), trans: req.Transport(), expires: now.Add(life), cseq: 1,
	}
	for _, h := range req.GetHeaders("Record-Route") {
		if rr, ok := h.(*sip.RecordRouteHeader); ok {
			d.routes = append(d.routes, *rr.Address.Clone())
		}
	}
	if life == 0 {
		// A fetch (RFC 6665 §4.4.3): one NOTIFY with the state, then done.
		d.final = "timeout"
	} else if err := n.tab.Put(subscription.Entry[*subDialog]{Key: d.key, Event: pkg, Resource: resource, User: user,
		Expires: d.expires, V: d}); err != nil {
		s.log.Info("sip: subscription refused", "user", user, "event", pkg, "err", err)
		s.reply(req, tx, sip.StatusServiceUnavailable, "Service Unavailable", sip.NewHeader("Retry-After", "60"))
		return
	}
	res.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(life/time.Second))))
	res.AppendHeader(sip.HeaderClone(&s.contact))
	if err := tx.Respond(res); err != nil {
		s.log.Debug("sip: subscribe respond", "err", err)
	}
	s.log.Info("sip: subscribed", "user", user, "event", pkg, "resource", resource, "expires", life)
	// RFC 6665 §4.2.1.2: the notifier sends the current state at once.
	n.kick(d)
}

// refresh handles a SUBSCRIBE inside an existing subscription: a new
// duration, or 0 to end it.
func (n *notifier) refresh(req *sip.Request, tx sip.ServerTransaction, user, pkg string, life time.Duration, now time.Time) {
	s := n.s
	key := inDialogKey(req)
	e, ok := n.tab.Get(key)
	if !ok || e.User != user || e.Event != pkg {
		s.reply(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	d := e.V
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	res.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(life/time.Second))))
	res.AppendHeader(sip.HeaderClone(&s.contact))
	if life == 0 {
		n.tab.Remove(key)
		d.mu.Lock()
		d.final = "timeout"
		d.mu.Unlock()
		s.log.Info("sip: unsubscribed", "user", user, "event", pkg, "resource", d.resource)
	} else {
		n.tab.Refresh(key, now.Add(life))
		d.mu.Lock()
		d.expires = now.Add(life)
		d.mu.Unlock()
	}
	if err := tx.Respond(res); err != nil {
		s.log.Debug("sip: subscribe respond", "err", err)
	}
	n.kick(d)
}

// kick has the subscription's current state sent; changes that come while
// a NOTIFY is on its way are folded into the next one.
func (n *notifier) kick(d *subDialog) {
	d.mu.Lock()
	if d.done {
		d.mu.Unlock()
		return
	}
	if d.sending {
		d.again = true
		d.mu.Unlock()
		return
	}
	d.sending = true
	d.mu.Unlock()
	go func() {
		for {
			n.notify(d)
			d.mu.Lock()
			if !d.again || d.done {
				d.sending = false
				d.mu.Unlock()
				return
			}
			d.again = false
			d.mu.Unlock()
		}
	}()
}

// notify sends one NOTIFY with the subscription's state now.
func (n *notifier) notify(d *subDialog) {
	s := n.s
	now := s.now()
	d.mu.Lock()
	final := d.final
	state := "terminated;reason=" + final
	if final == "" {
		left := int(d.expires.Sub(now).Round(time.Second) / time.Second)
		state = "active;expires=" + strconv.Itoa(max(left, 0))
	} else {
		d.done = true
	}
	cseq := d.cseq
	d.cseq++
	version := d.version
	d.version++
	d.mu.Unlock()

	body, ctype := n.body(d, version)
	req := sip.NewRequest(sip.NOTIFY, *d.target.Clone())
	req.SetDestination(d.dest)
	req.SetTransport(d.trans)
	for _, r := range d.routes {
		req.AppendHeader(&sip.RouteHeader{Address: *r.Clone()})
	}
	from := &sip.FromHeader{Address: *d.local.Clone(), Params: sip.NewParams()}
	from.Params.Add("tag", d.localTag)
	to := &sip.ToHeader{Address: *d.remote.Clone(), Params: sip.NewParams()}
	to.Params.Add("tag", d.remTag)
	callID := sip.CallIDHeader(d.callID)
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: sip.NOTIFY})
	req.AppendHeader(sip.HeaderClone(&s.contact))
	ev := d.event
	if d.eventID != "" {
		ev += ";id=" + d.eventID
	}
	req.AppendHeader(sip.NewHeader("Event", ev))
	req.AppendHeader(sip.NewHeader("Subscription-State", state))
	req.AppendHeader(sip.NewHeader("Content-Type", ctype))
	req.SetBody(body)

	ctx, cancel := context.WithTimeout(context.Background(), notifyTimeout)
	defer cancel()
	res, err := s.cli.Do(ctx, req)
	switch {
	case err != nil && errors.Is(err, context.Canceled):
	case err != nil || res.StatusCode == sip.StatusCallTransactionDoesNotExists:
		// RFC 6665 §4.2.2: a NOTIFY that times out or meets 481 ends the subscription.
		if _, ok := n.tab.Remove(d.key); ok {
			s.log.Info("sip: subscriber gone", "event", d.event, "resource", d.resource, "err", err)
		}
		d.mu.Lock()
		d.done = true
		d.mu.Unlock()
	case res.StatusCode >= 300:
		s.log.Info("sip: notify refused", "event", d.event, "resource", d.resource, "code", res.StatusCode)
	}
}

// body is the NOTIFY body of a subscription.
func (n *notifier) body(d *subDialog, version uint32) ([]byte, string) {
	host := n.s.host
	uri := func(user string) string { return "sip:" + SafeUser(user) + "@" + host }
	if d.event == subscription.MessageSummary {
		var nw, old int
		if mb := n.s.o.Mailboxes; mb != nil {
			nw, old = mb.Summary(d.resource)
		}
		return subscription.Summary(uri(d.resource), nw, old), subscription.MessageSummaryType
	}
	n.mu.Lock()
	ds := n.dialogs[d.resource]
	n.mu.Unlock()
	entries := make([]subscription.DialogEntry, 0, len(ds))
	for _, x := range ds {
		e := subscription.DialogEntry{ID: "call-" + strconv.FormatUint(x.CallID, 10), State: x.State.String(),
			Initiator: x.Initiator, Local: uri(d.resource), Display: x.Remote.Name}
		if x.Remote.Number != "" {
			e.Remote = uri(x.Remote.Number)
		}
		n.s.dialogIDs(&e, d.resource, x) // pickup.go
		entries = append(entries, e)
	}
	return subscription.DialogInfo(uri(d.resource), version, entries), subscription.DialogInfoType
}

// sweepLoop ends subscriptions that were not refreshed in time.
func (n *notifier) sweepLoop() {
	defer n.s.wg.Done()
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-n.s.stop:
			return
		case <-t.C:
			n.sweep(n.s.now())
		}
	}
}

func (n *notifier) sweep(now time.Time) {
	for _, e := range n.tab.Expire(now) {
		d := e.V
		d.mu.Lock()
		d.final = "timeout" // RFC 6665 §4.1.3: not refreshed in time
		d.mu.Unlock()
		n.s.log.Info("sip: subscription expired", "user", e.User, "event", e.Event, "resource", e.Resource)
		n.kick(d)
	}
}

// MailboxChanged tells the subscribers of ext's message summary that its
// counts changed. Any goroutine may call it.
func (s *Server) MailboxChanged(ext string) {
	for _, e := range s.subs.tab.Watching(subscription.MessageSummary, ext) {
		s.subs.kick(e.V)
	}
}

// DialogsChanged takes an extension's calls as the engine now sees them
// (core.Engine.Observe) and tells its busy-lamp-field subscribers. It does
// not block, so the engine goroutine may call it.
func (s *Server) DialogsChanged(ext string, ds []core.Dialog) {
	s.subs.mu.Lock()
	if len(ds) == 0 {
		delete(s.subs.dialogs, ext)
	} else {
		s.subs.dialogs[ext] = ds
	}
	s.subs.mu.Unlock()
	for _, e := range s.subs.tab.Watching(subscription.Dialog, ext) {
		s.subs.kick(e.V)
	}
}

// Subscriptions is the number of active subscriptions.
func (s *Server) Subscriptions() int { return s.subs.tab.Len() }
