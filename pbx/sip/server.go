package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/hookswitch/hookswitch/pbx/core"
	"github.com/hookswitch/hookswitch/pbx/sip/auth"
	"github.com/hookswitch/hookswitch/pbx/sip/registrar"
	"github.com/hookswitch/hookswitch/pbx/sip/subscription"
)

// Users is the directory as the SIP side needs it.
type Users interface {
	// SIPUser returns a SIP account's password and display name; ok is
	// false for an unknown extension or one without a password.
	SIPUser(ext string) (password, name string, ok bool)
}

// Opts configures a Server.
type Opts struct {
	Listen    string // host:port for UDP and TCP
	UserAgent string // User-Agent and Server header value
	Realm     string // digest realm; default "hookswitch"
	Users     Users
	// Engine places and receives calls; nil refuses calls with 503 (a
	// registrar-only server, for tests).
	Engine *core.Engine
	// Media makes the RTP session of each call leg.
	Media MediaFactory
	Guard auth.GuardOpts
	Reg   registrar.Opts
	// Qualify is how often registered contacts are sent OPTIONS; 0 never.
	Qualify time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Mailboxes gives message-summary subscribers their counts; nil counts none.
	Mailboxes subscription.Mailboxes
	// Digest lists the digest algorithms challenged with, in order; nil is
	// auth's default (MD5, SHA-256). Some clients give up on a challenge
	// they do not know (baresip 1.0 / libre on SHA-256) instead of skipping it.
	Digest []auth.Algorithm
}

// Server is a SIP user agent of the PBX on a socket of its own, and the
// B2BUA legs of its calls. Listen makes the phones' one: registrar,
// authentication, subscriptions. ListenProvider makes a provider trunk's
// (provider.go): its legs are the same, and reach the provider instead.
type Server struct {
	log  *slog.Logger
	o    Opts
	now  func() time.Time
	host string // advertised in Via and Contact
	port int
	// prov makes the server a provider trunk's user agent; nil for the phones'.
	prov *ProviderOpts
	// allow and supported are the Allow and Supported headers of our
	// requests and answers: the methods and extensions this agent serves.
	allow, supported string
	// refreshAfter is when a leg refreshes a session of se seconds (session.go).
	refreshAfter func(se int) time.Duration

	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	cli     *sipgo.Client
	dua     *sipgo.DialogUA
	parser  *sip.Parser
	digest  *auth.Digest
	guard   *auth.Guard
	reg     *registrar.Registrar
	subs    *notifier
	contact sip.ContactHeader

	udp  net.PacketConn
	tcp  net.Listener
	wg   sync.WaitGroup
	stop chan struct{}
	// ctx ends with stop; calls derive their contexts from it.
	ctx    context.Context
	endCtx context.CancelFunc

	mu      sync.Mutex
	dialogs map[string]*leg // by dialogKey
	nextLeg uint64

	dropped  atomic.Uint64 // datagrams from banned or disallowed sources
	rejected atomic.Uint64 // unparseable requests answered 400
}

// sipgo v1.7.2 stops every transaction timer when a transaction ends except
// Timer L (an INVITE server transaction's Accepted state) and Timer M (the
// client's), so an ended INVITE transaction, with its requests, responses
// and dialog, stays in memory until the timer fires: 64·T1 = 32 s, about
// 19 KB a call (600 MB at 1 000 calls/s, measured with the load test's heap
// trace). 8·T1 = 4 s still spans four retransmissions of a 2xx whose ACK
// was lost, what the two timers are for (RFC 6026), and INVITE
// retransmissions stop at our immediate 100 Trying (RFC 3261 §17.1.1.2).
func init() {
	sip.Timer_L = 8 * sip.T1
	sip.Timer_M = 8 * sip.T1
}

// sipSocketBuffer is the UDP socket's buffer size: the kernel's usual
// 208 KiB holds a few hundred messages, a fraction of a second at a
// thousand calls a second, and what overflows is retransmitted seconds
// later or, for an ACK, not at all.
const sipSocketBuffer = 4 << 20

// listenUDP binds a SIP UDP socket with room for a burst of signalling.
func listenUDP(addr string) (net.PacketConn, error) {
	c, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("sip: %w", err)
	}
	growBuffers(c, sipSocketBuffer)
	return c, nil
}

// Listen binds UDP and TCP on o.Listen.
func Listen(log *slog.Logger, o Opts) (*Server, error) {
	if o.Realm == "" {
		o.Realm = "hookswitch"
	}
	s := makeServer(log, o, allowed, supported)
	s.digest = auth.New(auth.Opts{Realm: o.Realm, Algorithms: o.Digest})
	s.guard = auth.NewGuard(o.Guard)
	s.reg = registrar.New(o.Reg)

	var err error
	if s.udp, err = listenUDP(o.Listen); err != nil {
		return nil, err
	}
	if s.tcp, err = net.Listen("tcp", s.udp.LocalAddr().String()); err != nil {
		_ = s.udp.Close()
		return nil, fmt.Errorf("sip: %w", err)
	}
	ap := s.udp.LocalAddr().(*net.UDPAddr).AddrPort()
	host := ap.Addr().Unmap().String()
	if ap.Addr().IsUnspecified() {
		host = "127.0.0.1"
	}
	err = s.startUA(host, "", sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerReadFilter(s.filter)))
	if err != nil {
		_ = s.udp.Close()
		_ = s.tcp.Close()
		return nil, fmt.Errorf("sip: %w", err)
	}

	s.srv.OnOptions(s.guarded(s.options))
	s.srv.OnRegister(s.guarded(s.register))
	s.srv.OnInvite(s.guarded(s.invite))
	s.srv.OnAck(s.ack)
	s.srv.OnBye(s.guarded(s.bye))
	s.srv.OnCancel(s.guarded(s.cancel))
	s.srv.OnInfo(s.guarded(s.info))
	s.srv.OnUpdate(s.guarded(s.renegotiate))
	s.srv.OnRefer(s.guarded(s.refer))
	s.srv.OnSubscribe(s.guarded(s.subscribe))
	s.srv.OnNoRoute(s.guarded(s.noRoute))
	return s, nil
}

// makeServer makes a server's state before it listens: the phones' or a
// provider's, answering with allow and supported.
func makeServer(log *slog.Logger, o Opts, allow, supported string) *Server {
	s := &Server{log: log, o: o, now: o.Now, allow: allow, supported: supported, refreshAfter: refreshHalf,
		dialogs: map[string]*leg{}, stop: make(chan struct{}), parser: sip.NewParser()}
	s.ctx, s.endCtx = context.WithCancel(context.Background())
	if s.now == nil {
		s.now = time.Now
	}
	s.subs = newNotifier(s)
	return s
}

// startUA makes the sipgo user agent, server, client and dialog agent on
// s.udp, bound already, advertising host and the bound port in Via and a
// Contact of user@host:port.
func (s *Server) startUA(host, user string, opts ...sipgo.UserAgentOption) error {
	s.host, s.port = host, int(s.udp.LocalAddr().(*net.UDPAddr).Port)
	var err error
	s.ua, err = sipgo.NewUA(append([]sipgo.UserAgentOption{sipgo.WithUserAgent(s.o.UserAgent),
		sipgo.WithUserAgentHostname(s.host)}, opts...)...)
	if err == nil {
		s.srv, err = sipgo.NewServer(s.ua, sipgo.WithServerLogger(s.log))
	}
	if err == nil {
		s.cli, err = sipgo.NewClient(s.ua, sipgo.WithClientHostname(s.host), sipgo.WithClientPort(s.port),
			sipgo.WithClientLogger(s.log))
	}
	if err != nil {
		if s.ua != nil {
			_ = s.ua.Close()
		}
		return err
	}
	s.contact = sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: s.host, Port: s.port}}
	s.dua = &sipgo.DialogUA{Client: s.cli, ContactHDR: s.contact, RewriteContact: true}
	return nil
}

// Addr is the bound UDP address.
func (s *Server) Addr() net.Addr { return s.udp.LocalAddr() }

// Registrar is the location service (registered contacts).
func (s *Server) Registrar() *registrar.Registrar { return s.reg }

// Guard is the address filter and ban list.
func (s *Server) Guard() *auth.Guard { return s.guard }

// Serve answers requests until Close.
func (s *Server) Serve() {
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		if err := s.srv.ServeUDP(compatConn{s.udp}); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Error("sip udp", "err", err)
		}
	}()
	go func() {
		defer s.wg.Done()
		if err := s.srv.ServeTCP(s.tcp); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Error("sip tcp", "err", err)
		}
	}()
	if s.o.Qualify > 0 {
		s.wg.Add(1)
		go s.qualifyLoop()
	}
	s.wg.Add(1)
	go s.subs.sweepLoop()
}

// Close stops listening and waits for the listeners.
func (s *Server) Close(context.Context) error {
	close(s.stop)
	s.endCtx()
	err := s.udp.Close()
	if s.tcp != nil {
		err = errors.Join(err, s.tcp.Close())
	}
	s.wg.Wait()
	return errors.Join(err, s.ua.Close())
}

// srcAddr is the IP a request came from.
func srcAddr(req *sip.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

func addrOf(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case *net.UDPAddr:
		return a.AddrPort().Addr().Unmap()
	case *net.TCPAddr:
		return a.AddrPort().Addr().Unmap()
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap.Addr().Unmap()
}

var errBanned = errors.New("sip: source banned or not allowed")

// filter sees every datagram and TCP read before sipgo parses it: banned
// and disallowed sources are dropped unanswered (a scanner learns nothing),
// a datagram sipgo would misread is rewritten to one it reads right
// (compat: folding, LWS, RFC 2543 requests), and datagrams that do not
// parse are answered 400 or 505 here, since sipgo drops them silently. A
// TCP read is not a whole message, so it is left as it is.
func (s *Server) filter(p sip.TransportReadProps, data []byte) ([]byte, error) {
	if !s.guard.Permitted(addrOf(p.RemoteAddr), s.now()) {
		s.dropped.Add(1)
		if p.Transport != "UDP" && p.Transport != "udp" {
			return nil, errBanned // closes the connection
		}
		return nil, nil
	}
	if p.Transport == "UDP" || p.Transport == "udp" {
		data = compat(data)
		if reply := s.malformed(data); reply != nil {
			s.rejected.Add(1)
			if _, err := s.udp.WriteTo(reply, p.RemoteAddr); err != nil {
				s.log.Debug("sip: 400 to malformed request", "err", err)
			}
			return nil, nil
		}
	}
	return data, nil
}

// guarded wraps a handler with the checks every request gets.
func (s *Server) guarded(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if code, reason := s.validate(req); code != 0 {
			s.reply(req, tx, code, reason)
			return
		}
		h(req, tx)
	}
}

// reply answers a request with a bare status.
func (s *Server) reply(req *sip.Request, tx sip.ServerTransaction, code int, reason string, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		s.log.Debug("sip: respond", "code", code, "method", string(req.Method), "err", err)
	}
}

// supported are the option tags we support: session timers (RFC 4028) and
// Replaces (RFC 3891 §6.1).
const supported = "timer, replaces"

const allowed = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE, REFER, SUBSCRIBE"

func (s *Server) options(req *sip.Request, tx sip.ServerTransaction) {
	hdrs := []sip.Header{sip.NewHeader("Allow", s.allow), sip.NewHeader("Accept", "application/sdp")}
	if s.supported != "" {
		hdrs = append(hdrs, sip.NewHeader("Supported", s.supported))
	}
	s.reply(req, tx, sip.StatusOK, "OK", hdrs...)
}

func (s *Server) noRoute(req *sip.Request, tx sip.ServerTransaction) {
	s.reply(req, tx, sip.StatusMethodNotAllowed, "Method Not Allowed", sip.NewHeader("Allow", s.allow))
}

// authenticate checks a request's digest credentials. When they are not
// good it answers the request itself — the same 401 whether the user is
// unknown or the password wrong — counts failures against the source and
// returns ok false.
func (s *Server) authenticate(req *sip.Request, tx sip.ServerTransaction) (user string, ok bool) {
	now := s.now()
	src := srcAddr(req)
	hdr := ""
	if h := req.GetHeader("Authorization"); h != nil {
		hdr = h.Value()
	}
	user, res := s.digest.Check(auth.Request{Method: string(req.Method), Header: hdr, Src: src}, now,
		func(u string) (string, bool) {
			if s.o.Users == nil {
				return "", false
			}
			pw, _, ok := s.o.Users.SIPUser(u)
			return pw, ok && pw != ""
		})
	switch res {
	case auth.OK:
		s.guard.Succeed(src)
		return user, true
	case auth.Failed:
		if s.guard.Fail(src, now) {
			s.log.Warn("sip: source banned after failed authentications", "src", src.String(), "user", user)
		} else {
			s.log.Info("sip: authentication failed", "src", src.String(), "user", user, "method", string(req.Method))
		}
	}
	chal, err := s.digest.Challenges(src, now, res == auth.Stale)
	if err != nil {
		s.reply(req, tx, sip.StatusInternalServerError, "Server Error")
		return "", false
	}
	hdrs := make([]sip.Header, len(chal))
	for i, c := range chal {
		hdrs[i] = sip.NewHeader("WWW-Authenticate", c)
	}
	s.reply(req, tx, sip.StatusUnauthorized, "Unauthorized", hdrs...)
	return "", false
}

func (s *Server) register(req *sip.Request, tx sip.ServerTransaction) {
	user, ok := s.authenticate(req, tx)
	if !ok {
		return
	}
	if to := req.To(); to == nil || to.Address.User != user {
		// RFC 3261 §10.3 step 3: the authenticated user may only change their own bindings.
		s.reply(req, tx, sip.StatusForbidden, "Forbidden")
		return
	}
	now := s.now()
	r := s.reg.Update(user, req, now)
	res := sip.NewResponseFromRequest(req, r.Code, r.Reason, nil)
	switch r.Code {
	case sip.StatusOK:
		for _, b := range r.Bindings {
			c := sip.ContactHeader{Address: *b.Contact.Clone()}
			c.Params = sip.NewParams()
			c.Params.Add("expires", strconv.Itoa(int(b.Expires.Sub(now).Round(time.Second)/time.Second)))
			res.AppendHeader(&c)
		}
		res.AppendHeader(sip.NewHeader("Date", now.UTC().Format(time.RFC1123)))
		s.log.Info("sip: registered", "user", user, "src", req.Source(), "contacts", len(r.Bindings))
	case sip.StatusIntervalToBrief:
		res.AppendHeader(sip.NewHeader("Min-Expires", strconv.Itoa(r.MinExpires)))
	}
	if err := tx.Respond(res); err != nil {
		s.log.Debug("sip: register respond", "err", err)
	}
}

// qualifyLoop sends OPTIONS to every registered contact each Qualify interval.
func (s *Server) qualifyLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.o.Qualify)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			for _, b := range s.reg.All(s.now()) {
				s.qualify(b)
			}
		}
	}
}

// qualify pings one binding with OPTIONS and records whether it answered.
func (s *Server) qualify(b registrar.Binding) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req := sip.NewRequest(sip.OPTIONS, *b.Contact.Clone())
	req.SetDestination(b.Destination())
	req.SetTransport(b.Transport)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: b.User, Host: s.host}})
	start := s.now()
	res, err := s.cli.Do(ctx, req)
	ok := err == nil && res.StatusCode < 500 && res.StatusCode != sip.StatusRequestTimeout
	s.reg.Qualified(b.User, &b.Contact, ok, s.now().Sub(start), s.now())
	if !ok {
		s.log.Info("sip: contact not answering", "user", b.User, "contact", b.Contact.String(), "err", err)
	}
}
