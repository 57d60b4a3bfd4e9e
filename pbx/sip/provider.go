package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/hookswitch/hookswitch/pbx/core"
)

// A provider trunk's calls are legs like the phones' (leg.go, inbound.go,
// outbound.go): early media, hold and resume, session timers, DTMF by
// INFO, refusal codes and transfers are the same code. What differs is
// here: the provider has a socket of its own (an "external profile":
// its traffic never meets the phones' registrar and digest checks), only
// its addresses may send requests, and they need no authentication; its
// INVITEs are routed by the number called (ProviderOpts.Route); ours go
// to its host, addressed and presented by the trunk (ProviderOpts.Invite),
// and answer its challenge with the account's credentials. REGISTER,
// SUBSCRIBE and REFER are phones' requests: the provider gets 405. A
// provider is outside our trust domain (RFC 3325 §2.3), so a transfer does
// not tell it who it now talks to. Our INVITEs to it do not offer session
// timers (no Supported), as the trunk's never did: a provider that wants
// them refreshes the session itself (RFC 4028 §9); one that calls in and
// asks us to refresh is refreshed like a phone (session.go).
//
// The far end is a property of the user agent a leg lives in, so the
// provider's user agent is a Server (prov set) rather than a second kind
// of leg: Server.invites is where requests go, runOutbound answers the
// challenge, providerInvite routes; everything else is shared.

// providerAllow is what a provider may send us.
const providerAllow = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE"

// ProviderOpts configures the user agent of a provider trunk.
type ProviderOpts struct {
	// Name is the channel name of the trunk's legs: "trunk/provider".
	Name string
	// Listen is the local host:port of the UDP socket; the port may be 0.
	// An unspecified host advertises our address on the route to Host.
	Listen string
	// Host is the provider's host:port: where requests go, and whose
	// addresses alone may send us requests.
	Host string
	// Username and Password are the account's: Username is our Contact's
	// user part, and both answer the provider's digest challenges.
	Username, Password string
	UserAgent          string
	Engine             *core.Engine
	Media              MediaFactory
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Invite addresses an outside call for call c from caller from: an
	// INVITE with the Request-URI, To, From and the identity headers that
	// present the caller. An error refuses the call at once. The leg adds
	// the destination, Contact, Allow and the offer.
	Invite func(c *core.Call, from core.Party) (*sip.Request, error)
	// Route answers the provider's INVITE: the extension it rings and who
	// calls. ok false refuses it 404.
	Route func(req *sip.Request) (ext string, caller core.Party, ok bool)
}

// Provider is the user agent of a provider trunk: a Server whose legs
// reach the provider.
type Provider struct {
	s     *Server
	peers []netip.Addr // the provider's addresses: only they may send requests
}

// ListenProvider binds the provider's socket. Serve starts it.
func ListenProvider(log *slog.Logger, o ProviderOpts) (*Provider, error) {
	host, _, err := net.SplitHostPort(o.Host)
	if err != nil {
		return nil, fmt.Errorf("sip: provider %s: %w", o.Host, err)
	}
	ips, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
	if err != nil {
		return nil, fmt.Errorf("sip: provider host %s: %w", host, err)
	}
	p := &Provider{}
	for _, ip := range ips {
		p.peers = append(p.peers, ip.Unmap())
	}
	s := makeServer(log, Opts{Listen: o.Listen, UserAgent: o.UserAgent, Engine: o.Engine, Media: o.Media, Now: o.Now},
		providerAllow, "")
	s.prov = &o
	p.s = s
	if s.udp, err = listenUDP(o.Listen); err != nil {
		return nil, err
	}
	ap := s.udp.LocalAddr().(*net.UDPAddr).AddrPort()
	local := ap.Addr().Unmap().String()
	if ap.Addr().IsUnspecified() {
		local = localAddrFor(o.Host)
	}
	if err := s.startUA(local, SafeUser(o.Username)); err != nil {
		_ = s.udp.Close()
		return nil, fmt.Errorf("sip: %w", err)
	}
	s.srv.OnInvite(p.gate(s.providerInvite))
	s.srv.OnAck(p.gate(s.ack))
	s.srv.OnBye(p.gate(s.bye))
	s.srv.OnCancel(p.gate(s.cancel))
	s.srv.OnInfo(p.gate(s.info))
	s.srv.OnUpdate(p.gate(s.renegotiate))
	s.srv.OnOptions(p.gate(s.options))
	s.srv.OnNoRoute(p.gate(s.noRoute))
	return p, nil
}

// localAddrFor is our address on the route to hostport.
func localAddrFor(hostport string) string {
	c, err := net.Dial("udp", hostport)
	if err != nil {
		return "127.0.0.1"
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap().String()
}

// gate refuses requests from anyone but the provider (the socket takes
// calls without digest authentication, so the source address is what is
// trusted), then checks them as the phones' are.
func (p *Provider) gate(h sipgo.RequestHandler) sipgo.RequestHandler {
	checked := p.s.guarded(h)
	return func(req *sip.Request, tx sip.ServerTransaction) {
		src := srcAddr(req)
		for _, peer := range p.peers {
			if peer == src {
				checked(req, tx)
				return
			}
		}
		if req.Method == sip.ACK {
			return // an ACK is never answered
		}
		p.s.log.Info("sip: request from a stranger", "method", string(req.Method), "src", req.Source())
		p.s.reply(req, tx, sip.StatusForbidden, "Forbidden")
	}
}

// providerInvite takes a call from the provider to the extension Route picks.
func (s *Server) providerInvite(req *sip.Request, tx sip.ServerTransaction) {
	if !s.newCall(req, tx) {
		return
	}
	ext, party, ok := s.prov.Route(req)
	if !ok {
		s.log.Info("sip: provider call to a number we do not serve", "number", req.Recipient.User, "to", req.To().Address.User)
		s.reply(req, tx, sip.StatusNotFound, "Not Found")
		return
	}
	l := s.newLeg(s.prov.Name, "")
	eng := s.o.Engine
	l.runInbound(req, tx, party, func() *core.Call { return eng.Dial(l, party, ext) })
}

// Serve answers the provider until Close.
func (p *Provider) Serve() {
	s := p.s
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.srv.ServeUDP(s.udp); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Error("sip provider udp", "err", err)
		}
	}()
}

// Close ends the calls, stops listening and waits.
func (p *Provider) Close(ctx context.Context) error { return p.s.Close(ctx) }

// Addr is the bound UDP address.
func (p *Provider) Addr() net.Addr { return p.s.udp.LocalAddr() }

// Channel makes the leg of a new outside call (a core.Router's answer).
func (p *Provider) Channel() (core.Channel, error) { return p.s.newLeg(p.s.prov.Name, ""), nil }

// Client sends requests from the provider's socket outside any call: the
// trunk's REGISTER.
func (p *Provider) Client() *sipgo.Client { return p.s.cli }

// Contact is the Contact we advertise to the provider: the account at our address.
func (p *Provider) Contact() sip.ContactHeader { return *p.s.contact.Clone() }

// Allow lists the methods the provider may send us, for its REGISTER.
func (p *Provider) Allow() string { return p.s.allow }

// Calls is the number of calls with the provider that have a dialog.
func (p *Provider) Calls() int {
	s := p.s
	type entry struct {
		key string
		l   *leg
	}
	s.mu.Lock()
	all := make([]entry, 0, len(s.dialogs))
	for key, l := range s.dialogs {
		all = append(all, entry{key, l})
	}
	s.mu.Unlock()
	n := 0
	for _, e := range all {
		if !e.l.isRinging(e.key) { // an early dialog of a call still ringing (pickup.go)
			n++
		}
	}
	return n
}
