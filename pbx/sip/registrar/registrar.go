package registrar

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Binding is one registered contact of a user.
type Binding struct {
	User    string
	Contact sip.Uri // as registered
	// Source is the address (host:port) and Transport the transport the
	// REGISTER arrived on. Requests to the contact go there, which crosses
	// the phone's NAT (RFC 3581 symmetric response routing, kept for the
	// life of the binding as RFC 5626 does for flows).
	Source    string
	Transport string
	CallID    string
	CSeq      uint32
	Expires   time.Time
	UserAgent string

	// Qualify results: whether the contact answered the last OPTIONS and how fast.
	Reachable bool
	RTT       time.Duration
	Qualified time.Time
}

// Destination is where requests to the binding go (host:port). Over UDP it
// is the contact's own address when the contact names the host the REGISTER
// came from (no NAT between us, whatever port the phone sends from), and
// otherwise the source: the phone's NAT mapping, as RFC 3581 §4 routes
// responses, kept for the binding's life. Over TCP it is the connection.
func (b *Binding) Destination() string {
	if b.Transport != "udp" {
		return b.Source
	}
	host, _, err := net.SplitHostPort(b.Source)
	if err != nil || b.Contact.Host != host || b.Contact.Port == 0 {
		return b.Source
	}
	return net.JoinHostPort(host, strconv.Itoa(b.Contact.Port))
}

// Opts bounds registration intervals.
type Opts struct {
	// Default is used when the REGISTER names no expiry (RFC 3261 §10.2.1.1
	// suggests 3600 s). Default 3600 s.
	Default time.Duration
	// Min: shorter non-zero requests get 423 with Min-Expires (§10.3 step 6).
	// Default 60 s.
	Min time.Duration
	// Max: longer requests are cut to it. Default 3600 s.
	Max time.Duration
	// MaxContacts a user may hold; more are refused with 403. Default 10.
	MaxContacts int
}

// Registrar is the location service.
type Registrar struct {
	o     Opts
	mu    sync.Mutex
	users map[string][]*Binding
}

// New returns an empty registrar.
func New(o Opts) *Registrar {
	if o.Default <= 0 {
		o.Default = 3600 * time.Second
	}
	if o.Min <= 0 {
		o.Min = 60 * time.Second
	}
	if o.Max <= 0 {
		o.Max = 3600 * time.Second
	}
	if o.MaxContacts <= 0 {
		o.MaxContacts = 10
	}
	return &Registrar{o: o, users: map[string][]*Binding{}}
}

// Result is the registrar's answer to a REGISTER.
type Result struct {
	Code       int
	Reason     string
	MinExpires int       // for 423
	Bindings   []Binding // current bindings, for the 200's Contact headers
}

// Update applies a REGISTER from an authenticated user (RFC 3261 §10.3, steps 6 to 8).
func (r *Registrar) Update(user string, req *sip.Request, now time.Time) Result {
	hdrExp := -1
	if h := req.GetHeader("Expires"); h != nil {
		v, err := strconv.ParseUint(strings.TrimSpace(h.Value()), 10, 32)
		if err != nil {
			return Result{Code: sip.StatusBadRequest, Reason: "Bad Expires"}
		}
		hdrExp = int(min(v, 1<<31-1))
	}
	var contacts []*sip.ContactHeader
	for _, h := range req.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			return Result{Code: sip.StatusBadRequest, Reason: "Bad Contact"}
		}
		contacts = append(contacts, c)
	}
	callID := ""
	if h := req.CallID(); h != nil {
		callID = h.Value()
	}
	var cseq uint32
	if h := req.CSeq(); h != nil {
		cseq = h.SeqNo
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	bs := r.live(user, now)

	// §10.3 step 6: "*" removes every binding, and only with Expires: 0 alone.
	for _, c := range contacts {
		if !c.Address.Wildcard {
			continue
		}
		if len(contacts) != 1 || hdrExp != 0 {
			return Result{Code: sip.StatusBadRequest, Reason: "Wildcard Contact Needs Expires 0"}
		}
		for _, b := range bs {
			if b.CallID == callID && cseq <= b.CSeq {
				return Result{Code: sip.StatusInternalServerError, Reason: "Out Of Order"}
			}
		}
		delete(r.users, user)
		return Result{Code: sip.StatusOK, Reason: "OK"}
	}

	type change struct {
		c   *sip.ContactHeader
		exp time.Duration
	}
	changes := make([]change, 0, len(contacts))
	for _, c := range contacts {
		exp := hdrExp
		if v, ok := c.Params.Get("expires"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
			if err != nil {
				return Result{Code: sip.StatusBadRequest, Reason: "Bad Contact Expires"}
			}
			exp = int(min(n, 1<<31-1))
		}
		d := r.o.Default
		if exp >= 0 {
			d = time.Duration(exp) * time.Second
		}
		if d > 0 && d < r.o.Min {
			return Result{Code: sip.StatusIntervalToBrief, Reason: "Interval Too Brief", MinExpires: int(r.o.Min / time.Second)}
		}
		changes = append(changes, change{c, min(d, r.o.Max)})
	}

	// Step 7: check ordering first so a stale request changes nothing.
	for _, ch := range changes {
		if b := find(bs, &ch.c.Address); b != nil && b.CallID == callID && cseq <= b.CSeq {
			return Result{Code: sip.StatusInternalServerError, Reason: "Out Of Order"}
		}
	}
	ua := ""
	if h := req.GetHeader("User-Agent"); h != nil {
		ua = h.Value()
	}
	for _, ch := range changes {
		b := find(bs, &ch.c.Address)
		if ch.exp == 0 {
			if b != nil {
				bs = slices.DeleteFunc(bs, func(x *Binding) bool { return x == b })
			}
			continue
		}
		if b == nil {
			if len(bs) >= r.o.MaxContacts {
				return Result{Code: sip.StatusForbidden, Reason: "Too Many Contacts"}
			}
			b = &Binding{User: user, Reachable: true}
			bs = append(bs, b)
		}
		b.Contact = *ch.c.Address.Clone()
		b.Source, b.Transport = req.Source(), strings.ToLower(req.Transport())
		b.CallID, b.CSeq, b.UserAgent = callID, cseq, ua
		b.Expires = now.Add(ch.exp)
	}
	if len(bs) == 0 {
		delete(r.users, user)
	} else {
		r.users[user] = bs
	}
	return Result{Code: sip.StatusOK, Reason: "OK", Bindings: copyOut(bs)}
}

// live returns user's bindings with the expired ones dropped; r.mu is held.
func (r *Registrar) live(user string, now time.Time) []*Binding {
	bs := r.users[user]
	bs = slices.DeleteFunc(bs, func(b *Binding) bool { return !now.Before(b.Expires) })
	if len(bs) == 0 {
		delete(r.users, user)
		return nil
	}
	r.users[user] = bs
	return bs
}

// Contacts returns user's current bindings.
func (r *Registrar) Contacts(user string, now time.Time) []Binding {
	r.mu.Lock()
	defer r.mu.Unlock()
	return copyOut(r.live(user, now))
}

// All returns every current binding, by user then registration order.
func (r *Registrar) All(now time.Time) []Binding {
	r.mu.Lock()
	defer r.mu.Unlock()
	var users []string
	for u := range r.users {
		users = append(users, u)
	}
	slices.Sort(users)
	var out []Binding
	for _, u := range users {
		out = append(out, copyOut(r.live(u, now))...)
	}
	return out
}

// Qualified records the outcome of an OPTIONS ping of a binding.
func (r *Registrar) Qualified(user string, contact *sip.Uri, ok bool, rtt time.Duration, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if b := find(r.users[user], contact); b != nil {
		b.Reachable, b.RTT, b.Qualified = ok, rtt, at
	}
}

func copyOut(bs []*Binding) []Binding {
	out := make([]Binding, len(bs))
	for i, b := range bs {
		out[i] = *b
	}
	return out
}

func find(bs []*Binding, u *sip.Uri) *Binding {
	for _, b := range bs {
		if SameURI(&b.Contact, u) {
			return b
		}
	}
	return nil
}

// SameURI compares two SIP URIs the way RFC 3261 §19.1.4 does for the parts
// that matter to a contact: scheme, user (case-sensitive), host
// (case-insensitive), port, and the transport, user, ttl, method and maddr
// parameters when either side has them.
func SameURI(a, b *sip.Uri) bool {
	if !strings.EqualFold(scheme(a), scheme(b)) || a.User != b.User || !strings.EqualFold(a.Host, b.Host) || a.Port != b.Port {
		return false
	}
	for _, p := range []string{"transport", "user", "ttl", "method", "maddr"} {
		va, _ := a.UriParams.Get(p)
		vb, _ := b.UriParams.Get(p)
		if !strings.EqualFold(va, vb) {
			return false
		}
	}
	return true
}

func scheme(u *sip.Uri) string {
	if u.Scheme == "" {
		return "sip"
	}
	return u.Scheme
}
