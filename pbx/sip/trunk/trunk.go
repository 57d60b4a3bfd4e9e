package trunk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
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

// Trunk is one provider account.
type Trunk struct {
	log    *slog.Logger
	o      Opts
	now    func() time.Time
	name   string
	domain string
	host   string // our address, in Via and Contact
	port   int
	peers  []netip.Addr // the provider's addresses: only they may call in

	udp     net.PacketConn
	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	cli     *sipgo.Client
	dua     *sipgo.DialogUA
	contact sip.ContactHeader

	registered atomic.Bool
	stop       chan struct{}
	ctx        context.Context // ends with stop; calls derive theirs from it
	cancel     context.CancelFunc
	wg         sync.WaitGroup // the listener
	regDone    sync.WaitGroup // the registration, which needs the listener to unregister

	mu    sync.Mutex
	calls map[string]*call // by dialog key
}

// ErrConfig is wrapped by Listen for unusable options.
var ErrConfig = errors.New("trunk: bad configuration")

var errBadAddr = errors.New("trunk: malformed name-addr")

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
	t := &Trunk{log: log.With("trunk", o.Name), o: o, now: o.Now, name: "trunk/" + o.Name, stop: make(chan struct{}),
		calls: map[string]*call{}}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	if t.now == nil {
		t.now = time.Now
	}
	host, _, _ := net.SplitHostPort(o.Host)
	t.domain = o.Domain
	if t.domain == "" {
		t.domain = host
	}
	ips, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
	if err != nil {
		return nil, fmt.Errorf("trunk %s: host %s: %w", o.Name, host, err)
	}
	for _, ip := range ips {
		t.peers = append(t.peers, ip.Unmap())
	}
	listen := o.Listen
	if listen == "" {
		listen = ":0"
	}
	if t.udp, err = net.ListenPacket("udp", listen); err != nil {
		return nil, fmt.Errorf("trunk %s: %w", o.Name, err)
	}
	ap := t.udp.LocalAddr().(*net.UDPAddr).AddrPort()
	t.host, t.port = ap.Addr().Unmap().String(), int(ap.Port())
	if ap.Addr().IsUnspecified() {
		t.host = localAddrFor(o.Host)
	}
	t.ua, err = sipgo.NewUA(sipgo.WithUserAgent(o.UserAgent), sipgo.WithUserAgentHostname(t.host))
	if err == nil {
		t.srv, err = sipgo.NewServer(t.ua, sipgo.WithServerLogger(t.log))
	}
	if err == nil {
		t.cli, err = sipgo.NewClient(t.ua, sipgo.WithClientHostname(t.host), sipgo.WithClientPort(t.port),
			sipgo.WithClientLogger(t.log))
	}
	if err != nil {
		_ = t.udp.Close()
		if t.ua != nil {
			_ = t.ua.Close()
		}
		return nil, fmt.Errorf("trunk %s: %w", o.Name, err)
	}
	t.contact = sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: userPart(o.Username), Host: t.host, Port: t.port}}
	t.dua = &sipgo.DialogUA{Client: t.cli, ContactHDR: t.contact, RewriteContact: true}
	t.srv.OnInvite(t.fromProvider(t.invite))
	t.srv.OnAck(t.ack)
	t.srv.OnBye(t.fromProvider(t.bye))
	t.srv.OnOptions(t.fromProvider(t.options))
	t.srv.OnNoRoute(t.fromProvider(func(req *sip.Request, tx sip.ServerTransaction) {
		t.reply(req, tx, sip.StatusMethodNotAllowed, "Method Not Allowed", sip.NewHeader("Allow", allowed))
	}))
	return t, nil
}

const allowed = "INVITE, ACK, CANCEL, BYE, OPTIONS"

// localAddrFor is our address on the route to the provider.
func localAddrFor(hostport string) string {
	c, err := net.Dial("udp", hostport)
	if err != nil {
		return "127.0.0.1"
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap().String()
}

// Name is the trunk's channel name: "trunk/provider".
func (t *Trunk) Name() string { return t.name }

// Addr is the trunk's bound address.
func (t *Trunk) Addr() net.Addr { return t.udp.LocalAddr() }

// Registered reports whether the provider accepted the last registration.
func (t *Trunk) Registered() bool { return t.registered.Load() }

// Serve answers the provider and keeps the account registered, until Close.
func (t *Trunk) Serve() {
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		if err := t.srv.ServeUDP(t.udp); err != nil && !errors.Is(err, net.ErrClosed) {
			t.log.Error("trunk udp", "err", err)
		}
	}()
	if t.o.Register {
		t.regDone.Add(1)
		go t.registerLoop()
	}
}

// Close removes the registration, stops listening and waits.
func (t *Trunk) Close(context.Context) error {
	close(t.stop)
	t.cancel()
	t.regDone.Wait()
	err := t.udp.Close()
	t.wg.Wait()
	return errors.Join(err, t.ua.Close())
}

// fromProvider refuses requests from anyone but the provider: the trunk's
// socket takes calls without digest authentication, so the source address
// is what is trusted.
func (t *Trunk) fromProvider(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		ap, err := netip.ParseAddrPort(req.Source())
		src := ap.Addr().Unmap()
		ok := false
		for _, p := range t.peers {
			ok = ok || (err == nil && p == src)
		}
		if !ok {
			t.log.Info("trunk: request from a stranger", "method", string(req.Method), "src", req.Source())
			t.reply(req, tx, sip.StatusForbidden, "Forbidden")
			return
		}
		h(req, tx)
	}
}

func (t *Trunk) reply(req *sip.Request, tx sip.ServerTransaction, code int, reason string, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		t.log.Debug("trunk: respond", "code", code, "err", err)
	}
}

func (t *Trunk) options(req *sip.Request, tx sip.ServerTransaction) {
	t.reply(req, tx, sip.StatusOK, "OK", sip.NewHeader("Allow", allowed), sip.NewHeader("Accept", "application/sdp"))
}

// dialogKey identifies a dialog from our side (RFC 3261 §12): Call-ID,
// local tag, remote tag.
func dialogKey(callID, local, remote string) string { return callID + "\x00" + local + "\x00" + remote }

func inDialogKey(req *sip.Request) string {
	to, _ := req.To().Params.Get("tag")
	from, _ := req.From().Params.Get("tag")
	return dialogKey(req.CallID().Value(), to, from)
}

func (t *Trunk) callFor(req *sip.Request) *call {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.calls[inDialogKey(req)]
}

func (t *Trunk) track(key string, c *call) {
	t.mu.Lock()
	t.calls[key] = c
	t.mu.Unlock()
}

func (t *Trunk) forget(key string) {
	t.mu.Lock()
	delete(t.calls, key)
	t.mu.Unlock()
}

// Calls is the number of calls on the trunk with a dialog.
func (t *Trunk) Calls() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.calls)
}

// runContext returns a context that ends with the trunk.
func (t *Trunk) runContext() (context.Context, context.CancelFunc) {
	return context.WithCancel(t.ctx)
}

// sdpBody returns a request's or response's body when it is SDP.
func sdpBody(m interface {
	GetHeader(string) sip.Header
	Body() []byte
}) []byte {
	h := m.GetHeader("Content-Type")
	if h == nil || !strings.HasPrefix(strings.ToLower(strings.TrimSpace(h.Value())), "application/sdp") {
		return nil
	}
	return m.Body()
}
