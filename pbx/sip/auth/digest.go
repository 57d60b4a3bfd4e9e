package auth

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/icholy/digest"
)

// Algorithm is a digest hash algorithm by its RFC 7616 §6.1 name.
type Algorithm string

// Algorithms offered. RFC 8760 §2.1 adds SHA-256 (and SHA-512-256) to SIP;
// MD5 stays for the many phones and test tools that know nothing else.
const (
	MD5    Algorithm = "MD5"
	SHA256 Algorithm = "SHA-256"
)

func (a Algorithm) hash() hash.Hash {
	if a == SHA256 {
		return sha256.New()
	}
	return md5.New()
}

// Result is the outcome of checking a request's credentials.
type Result uint8

// Results of Check.
const (
	// NoCredentials: the request carried none (or none for this realm); challenge it.
	NoCredentials Result = iota + 1
	// Stale: the credentials used a nonce that expired or was reused; challenge
	// again with stale=true (RFC 7616 §3.3). Not a failed attempt.
	Stale
	// Failed: unknown user, wrong password or malformed credentials. Counted
	// against the source; answered exactly like NoCredentials.
	Failed
	// OK: the user is authenticated.
	OK
)

var resultNames = [...]string{"", "no-credentials", "stale", "failed", "ok"}

func (r Result) String() string { return resultNames[r] }

// Opts configures a Digest.
type Opts struct {
	Realm string
	// Algorithms are offered in this order (RFC 8760 §2.4: a UAC uses the
	// first challenge whose algorithm it supports). Default: MD5 then
	// SHA-256, because MD5-only clients — SIPp 3.6, many desk phones — take
	// the first challenge whatever its algorithm and fail on SHA-256; a
	// client that prefers the stronger algorithm still finds it.
	Algorithms []Algorithm
	// NonceTTL is how long a nonce may be used. Default 5 minutes.
	NonceTTL time.Duration
	// MaxNonces bounds the nonce table (a scanner must not grow it without
	// limit); the oldest nonce goes first. Default 4096.
	MaxNonces int
	// Rand is the source of nonces; crypto/rand when nil.
	Rand io.Reader
}

// Digest issues challenges and checks credentials. It is safe for concurrent use.
type Digest struct {
	realm string
	algs  []Algorithm
	ttl   time.Duration
	max   int
	rand  io.Reader

	mu     sync.Mutex
	nonces map[string]*nonce
	order  []string // issue order, for eviction
}

type nonce struct {
	issued time.Time
	src    netip.Addr
	nc     int // highest nonce-count seen
}

// New returns a Digest for a realm.
func New(o Opts) *Digest {
	d := &Digest{realm: o.Realm, algs: o.Algorithms, ttl: o.NonceTTL, max: o.MaxNonces, rand: o.Rand,
		nonces: map[string]*nonce{}}
	if len(d.algs) == 0 {
		d.algs = []Algorithm{MD5, SHA256}
	}
	if d.ttl <= 0 {
		d.ttl = 5 * time.Minute
	}
	if d.max <= 0 {
		d.max = 4096
	}
	if d.rand == nil {
		d.rand = rand.Reader
	}
	return d
}

// Realm is the protection realm named in challenges.
func (d *Digest) Realm() string { return d.realm }

// Challenges returns the WWW-Authenticate (or Proxy-Authenticate) values for
// a fresh nonce issued to src: one per algorithm, sharing the nonce, in
// order of preference.
func (d *Digest) Challenges(src netip.Addr, now time.Time, stale bool) ([]string, error) {
	var b [16]byte
	if _, err := io.ReadFull(d.rand, b[:]); err != nil {
		return nil, fmt.Errorf("auth: nonce: %w", err)
	}
	n := hex.EncodeToString(b[:])
	d.mu.Lock()
	d.expire(now)
	for len(d.order) >= d.max {
		delete(d.nonces, d.order[0])
		d.order = d.order[1:]
	}
	d.nonces[n] = &nonce{issued: now, src: src}
	d.order = append(d.order, n)
	d.mu.Unlock()

	out := make([]string, 0, len(d.algs))
	for _, a := range d.algs {
		c := digest.Challenge{Realm: d.realm, Nonce: n, Algorithm: string(a), QOP: []string{"auth"}, Stale: stale}
		out = append(out, c.String())
	}
	return out, nil
}

// expire drops nonces past their lifetime; d.mu is held.
func (d *Digest) expire(now time.Time) {
	i := 0
	for ; i < len(d.order); i++ {
		nc, ok := d.nonces[d.order[i]]
		if ok && now.Sub(nc.issued) < d.ttl {
			break
		}
		delete(d.nonces, d.order[i])
	}
	d.order = d.order[i:]
}

// Request is what Check needs of a request.
type Request struct {
	Method string
	Header string // the Authorization (or Proxy-Authorization) value; "" when absent
	Src    netip.Addr
}

// Passwords looks up a user's password; ok is false for an unknown user.
type Passwords func(user string) (password string, ok bool)

// dummyPassword is hashed for unknown users so that they cost the same
// work as known ones (no extension enumeration by timing either).
const dummyPassword = "\x00unknown-user\x00"

// Check verifies a request's credentials and returns the user they name.
func (d *Digest) Check(r Request, now time.Time, pw Passwords) (string, Result) {
	if r.Header == "" || !digest.IsDigest(r.Header) {
		return "", NoCredentials
	}
	cr, err := digest.ParseCredentials(r.Header)
	if err != nil {
		return "", Failed
	}
	if cr.Realm != d.realm && cr.Realm != "" {
		// RFC 3261 §22.3: credentials for another realm are not ours to judge.
		return "", NoCredentials
	}
	alg := Algorithm(strings.ToUpper(cr.Algorithm))
	switch alg {
	case "":
		alg = MD5 // RFC 7616 §3.3: absent means MD5
	case "SHA-256":
		alg = SHA256
	case MD5:
	default:
		return cr.Username, Failed
	}
	if cr.QOP != "" && cr.QOP != "auth" {
		return cr.Username, Failed
	}
	password, known := pw(cr.Username)
	if !known {
		password = dummyPassword
	}
	want := response(alg, cr, r.Method, password)
	match := subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(cr.Response))) == 1

	d.mu.Lock()
	n, ok := d.nonces[cr.Nonce]
	var stale bool
	switch {
	case !ok || now.Sub(n.issued) >= d.ttl:
		stale = true
	case cr.QOP != "" && cr.Nc <= n.nc:
		// RFC 7616 §3.4: a nonce-count must grow; a repeat is a replay.
		stale = true
	case match && cr.QOP != "":
		n.nc = cr.Nc
	}
	d.mu.Unlock()

	switch {
	case !known || !match:
		return cr.Username, Failed
	case stale:
		// The right password against a nonce we no longer honour: the client
		// is told to retry with a fresh one, which costs it nothing.
		return cr.Username, Stale
	}
	return cr.Username, OK
}

// response computes the expected request-digest (RFC 7616 §3.4.1, RFC 2617 §3.2.2.1).
func response(alg Algorithm, cr *digest.Credentials, method, password string) string {
	h := func(parts ...string) string {
		x := alg.hash()
		io.WriteString(x, strings.Join(parts, ":"))
		return hex.EncodeToString(x.Sum(nil))
	}
	ha1 := h(cr.Username, cr.Realm, password)
	ha2 := h(method, cr.URI)
	if cr.QOP == "" {
		return h(ha1, cr.Nonce, ha2)
	}
	return h(ha1, cr.Nonce, fmt8x(cr.Nc), cr.Cnonce, cr.QOP, ha2)
}

func fmt8x(n int) string {
	const hexd = "0123456789abcdef"
	var b [8]byte
	for i := 7; i >= 0; i-- {
		b[i] = hexd[n&0xf]
		n >>= 4
	}
	return string(b[:])
}
