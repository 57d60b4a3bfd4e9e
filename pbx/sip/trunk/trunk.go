package trunk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/hookswitch/hookswitch/pbx/core"
	pbxsip "github.com/hookswitch/hookswitch/pbx/sip"
)

// Opts configures a trunk.
type Opts struct {
	Name     string // "provider": channels are "trunk/provider"
	Host     string // the provider's host:port (5060 when no port)
	Domain   string // the account's SIP domain; the host without port when empty
	Username string // account user, also the digest user name
	Password string
	Prefix   string // the dial-plan prefix of outside calls, stripped before sending
	// Listen is the local host:port of the trunk's socket; the port may be 0.
	Listen string
	// Register keeps the account registered, so the provider knows where to
	// send its calls.
	Register bool
	// Expiry is the registration lifetime asked for; 600 s when zero.
	Expiry time.Duration
	// DID maps numbers the provider calls in on to extensions; Inbound is
	// the extension for any other number ("" refuses them 404).
	DID     map[string]string
	Inbound string
	// CallerID is the number presented on outside calls; Username when empty.
	CallerID string
	// Privacy withholds the caller's identity on outside calls.
	Privacy   bool
	UserAgent string
	Engine    *core.Engine
	Media     pbxsip.MediaFactory
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// defaultExpiry is the registration lifetime asked for when none is set.
const defaultExpiry = 600 * time.Second

// Trunk is one provider account: the calls are pbx/sip legs on the
// trunk's own user agent (pbxsip.Provider); the trunk registers the
// account, routes the provider's calls by DID and presents our callers.
type Trunk struct {
	log    *slog.Logger
	o      Opts
	name   string
	domain string
	p      *pbxsip.Provider

	registered atomic.Bool
	stop       chan struct{}
	regDone    sync.WaitGroup // the registration, which needs the socket to unregister
}

// ErrConfig is wrapped by Listen for unusable options.
var ErrConfig = errors.New("trunk: bad configuration")

var (
	errBadAddr  = errors.New("trunk: malformed name-addr")
	errNoNumber = errors.New("trunk: nothing dialled after the prefix")
)

// Listen binds the trunk's socket. Serve starts it.
func Listen(log *slog.Logger, o Opts) (*Trunk, error) {
	if o.Name == "" || o.Host == "" {
		return nil, fmt.Errorf("%w: a trunk needs a name and a host", ErrConfig)
	}
	if o.Engine == nil || o.Media == nil {
		return nil, fmt.Errorf("%w: trunk %s: no engine or media", ErrConfig, o.Name)
	}
	if _, _, err := net.SplitHostPort(o.Host); err != nil {
		o.Host = net.JoinHostPort(o.Host, "5060")
	}
	if o.Expiry <= 0 {
		o.Expiry = defaultExpiry
	}
	if o.CallerID == "" {
		o.CallerID = o.Username
	}
	if o.Listen == "" {
		o.Listen = ":0"
	}
	t := &Trunk{log: log.With("trunk", o.Name), o: o, name: "trunk/" + o.Name, stop: make(chan struct{})}
	host, _, _ := net.SplitHostPort(o.Host)
	t.domain = o.Domain
	if t.domain == "" {
		t.domain = host
	}
	var err error
	t.p, err = pbxsip.ListenProvider(t.log, pbxsip.ProviderOpts{
		Name: t.name, Listen: o.Listen, Host: o.Host, Username: o.Username, Password: o.Password,
		UserAgent: o.UserAgent, Engine: o.Engine, Media: o.Media, Now: o.Now,
		Invite: t.invite, Route: t.route,
	})
	if err != nil {
		return nil, fmt.Errorf("trunk %s: %w", o.Name, err)
	}
	return t, nil
}

// invite addresses an outside call: the number dialled, less the trunk's
// prefix, at the account's domain, with our caller presented as the
// account wants (present.go).
func (t *Trunk) invite(c *core.Call, from core.Party) (*sip.Request, error) {
	number, _ := strings.CutPrefix(c.To, t.o.Prefix)
	if number == "" {
		return nil, errNoNumber
	}
	uri := sip.Uri{Scheme: "sip", User: pbxsip.SafeUser(number), Host: t.domain}
	req := sip.NewRequest(sip.INVITE, uri)
	fromHdr, ids := Presentation{Number: t.o.CallerID, Name: from.Name, Withheld: t.o.Privacy}.fromHeaders(t.domain)
	req.AppendHeader(fromHdr)
	req.AppendHeader(&sip.ToHeader{Address: uri})
	for _, h := range ids {
		req.AppendHeader(h)
	}
	t.log.Info("trunk: outside call", "number", number, "caller", from.Number)
	return req, nil
}

// route picks the extension and caller of a call from the provider.
func (t *Trunk) route(req *sip.Request) (string, core.Party, bool) {
	ext, ok := Route(req, t.o.DID, t.o.Inbound)
	if !ok {
		return "", core.Party{}, false
	}
	party := Caller(req)
	t.log.Info("trunk: incoming call", "caller", party.Number, "name", party.Name, "ext", ext)
	return ext, party, true
}

// Channel makes the channel of a new outside call. The dialled number, less
// the trunk's prefix, is what the provider is asked for.
func (t *Trunk) Channel() (core.Channel, error) { return t.p.Channel() }

// Name is the trunk's channel name: "trunk/provider".
func (t *Trunk) Name() string { return t.name }

// Addr is the trunk's bound address.
func (t *Trunk) Addr() net.Addr { return t.p.Addr() }

// Registered reports whether the provider accepted the last registration.
func (t *Trunk) Registered() bool { return t.registered.Load() }

// Calls is the number of calls on the trunk with a dialog.
func (t *Trunk) Calls() int { return t.p.Calls() }

// Serve answers the provider and keeps the account registered, until Close.
func (t *Trunk) Serve() {
	t.p.Serve()
	if t.o.Register {
		t.regDone.Add(1)
		go t.registerLoop()
	}
}

// Close removes the registration, ends the calls, stops listening and waits.
func (t *Trunk) Close(ctx context.Context) error {
	close(t.stop)
	t.regDone.Wait()
	return t.p.Close(ctx)
}
