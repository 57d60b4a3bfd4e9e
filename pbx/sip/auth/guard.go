package auth

import (
	"net/netip"
	"sync"
	"time"
)

// GuardOpts configures a Guard.
type GuardOpts struct {
	// Allow lists the networks requests may come from; empty allows all.
	Allow []netip.Prefix
	// BanAfter failed attempts from one address within BanFor ban it; 0 never bans.
	BanAfter int
	// BanFor is how long a ban lasts, and the window failures are counted in.
	BanFor time.Duration
	// MaxTracked bounds the table of addresses with failures. Default 8192.
	MaxTracked int
}

// Guard keeps scanners and password guessers out. It is safe for concurrent use.
type Guard struct {
	o GuardOpts

	mu    sync.Mutex
	addrs map[netip.Addr]*record
}

type record struct {
	fails  int
	first  time.Time // first failure of the current window
	banned time.Time // ban ends; zero when not banned
}

// NewGuard returns a Guard.
func NewGuard(o GuardOpts) *Guard {
	if o.MaxTracked <= 0 {
		o.MaxTracked = 8192
	}
	return &Guard{o: o, addrs: map[netip.Addr]*record{}}
}

// Permitted reports whether a request from ip may be processed: the address
// is in an allowed network and not banned.
func (g *Guard) Permitted(ip netip.Addr, now time.Time) bool {
	ip = ip.Unmap()
	if len(g.o.Allow) > 0 {
		in := false
		for _, p := range g.o.Allow {
			if p.Contains(ip) {
				in = true
				break
			}
		}
		if !in {
			return false
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	r, ok := g.addrs[ip]
	if !ok || r.banned.IsZero() {
		return true
	}
	if now.Before(r.banned) {
		return false
	}
	delete(g.addrs, ip) // the ban is over: a clean slate
	return true
}

// Fail counts a failed attempt from ip and reports whether it is now banned.
func (g *Guard) Fail(ip netip.Addr, now time.Time) bool {
	if g.o.BanAfter <= 0 {
		return false
	}
	ip = ip.Unmap()
	g.mu.Lock()
	defer g.mu.Unlock()
	r, ok := g.addrs[ip]
	if !ok {
		if len(g.addrs) >= g.o.MaxTracked {
			g.prune(now)
		}
		r = &record{first: now}
		g.addrs[ip] = r
	}
	if !r.banned.IsZero() {
		return now.Before(r.banned)
	}
	if now.Sub(r.first) > g.o.BanFor {
		r.fails, r.first = 0, now
	}
	r.fails++
	if r.fails >= g.o.BanAfter {
		r.banned = now.Add(g.o.BanFor)
		return true
	}
	return false
}

// Succeed forgets ip's failures after a successful authentication.
func (g *Guard) Succeed(ip netip.Addr) {
	ip = ip.Unmap()
	g.mu.Lock()
	if r, ok := g.addrs[ip]; ok && r.banned.IsZero() {
		delete(g.addrs, ip)
	}
	g.mu.Unlock()
}

// Banned returns the addresses banned at now (for the management API and logs).
func (g *Guard) Banned(now time.Time) []netip.Addr {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []netip.Addr
	for ip, r := range g.addrs {
		if !r.banned.IsZero() && now.Before(r.banned) {
			out = append(out, ip)
		}
	}
	return out
}

// prune drops expired records, and if the table is still full, every
// record that is not a ban; g.mu is held.
func (g *Guard) prune(now time.Time) {
	for ip, r := range g.addrs {
		if (r.banned.IsZero() && now.Sub(r.first) > g.o.BanFor) || (!r.banned.IsZero() && !now.Before(r.banned)) {
			delete(g.addrs, ip)
		}
	}
	if len(g.addrs) < g.o.MaxTracked {
		return
	}
	for ip, r := range g.addrs {
		if r.banned.IsZero() {
			delete(g.addrs, ip)
		}
	}
}
