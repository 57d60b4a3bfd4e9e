package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

//go:embed default.yaml
var defaultYAML []byte

// Config is the whole configuration.
type Config struct {
	Country string  `yaml:"country"` // tone plan, ring cadence, caller ID standard: us, uk, de; default us
	Board   string  `yaml:"board"`   // built-in board name or board file; default sim-4fxs
	SIP     SIP     `yaml:"sip"`
	HTTP    HTTP    `yaml:"http"`
	FXS     FXS     `yaml:"fxs"`
	Users   []User  `yaml:"users"`
	Trunks  []Trunk `yaml:"trunks"`
	CDR     CDR     `yaml:"cdr"`

	// TransferRecall is how long a transferred call rings its target (a
	// blind transfer, or an analog hang-up while the consultation still
	// rings) before the transferee is rung back at the transferor's phone,
	// and how long that recall rings before the transferee hears
	// congestion; default 30s. A target that is busy or unreachable
	// recalls at once. It concerns SIP and analog phones alike, so it sits
	// at the top level.
	TransferRecall Duration `yaml:"transfer_recall"`
}

// CDR configures the call log kept on disk under --data (DATA/cdr): an
// append-only file of ended calls' records, bounded in size.
type CDR struct {
	// Enabled keeps the call log on disk; default true. False keeps only the
	// engine's last 200 records in memory, lost at a restart.
	Enabled *bool `yaml:"enabled"`
	// MaxSize is the disk the log may take, the current file and one
	// previous together, in bytes or with a KiB or MiB suffix; default
	// 4MiB, from 64KiB to 64MiB.
	MaxSize string `yaml:"max_size"`
	// Recent is how many of the newest records are loaded at start and kept
	// for GET /api/v1/cdr; default 1000, from 1 to 10000.
	Recent int `yaml:"recent"`

	maxBytes int64
}

// On reports whether the call log is kept on disk.
func (c *CDR) On() bool { return c.Enabled == nil || *c.Enabled }

// MaxBytes is cdr.max_size in bytes.
func (c *CDR) MaxBytes() int64 { return c.maxBytes }

// CDR limits: below 64 KiB each file would hold only a few dozen records;
// above 64 MiB the log would take a large share of a small data partition.
const (
	cdrMinSize   = 64 << 10
	cdrMaxSize   = 64 << 20
	cdrMaxRecent = 10000
)

var sizeRE = regexp.MustCompile(`^([0-9]{1,12})\s*(KiB|MiB)?$`)

// parseSize reads a byte count: "4194304", "512KiB", "4MiB".
func parseSize(s string) (int64, bool) {
	m := sizeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, false
	}
	switch m[2] {
	case "KiB":
		n <<= 10
	case "MiB":
		n <<= 20
	}
	return n, true
}

// SIP configures the SIP side.
type SIP struct {
	Listen   string   `yaml:"listen"`    // host:port for UDP and TCP; default 127.0.0.1:5060
	Realm    string   `yaml:"realm"`     // digest authentication realm; default hookswitch
	BanAfter int      `yaml:"ban_after"` // failed authentications from one address before it is banned; default 5, negative never bans
	BanFor   Duration `yaml:"ban_for"`   // how long a ban lasts (and the window failures are counted in); default 15m
	Allow    []string `yaml:"allow"`     // networks (CIDR or address) that may send SIP; default all
	Qualify  Duration `yaml:"qualify"`   // interval of OPTIONS pings to registered phones; default 60s
	// Digest lists the digest algorithms challenged with, in order: MD5,
	// SHA-256 (RFC 8760). Default both, MD5 first. A phone that gives up on
	// an algorithm it does not know, instead of skipping that challenge
	// (baresip 1.0), needs [MD5].
	Digest []string `yaml:"digest"`
}

// HTTP configures the management API.
type HTTP struct {
	Listen string `yaml:"listen"` // host:port; default 127.0.0.1:8080
}

// FXS overrides the analog line timings of the country's defaults. A zero
// value keeps the default.
type FXS struct {
	FlashMin    Duration `yaml:"flash_min"`    // shortest break read as a hook flash
	FlashMax    Duration `yaml:"flash_max"`    // longest break read as a flash; longer is a hang-up
	PulseMax    Duration `yaml:"pulse_max"`    // longest break read as a dial pulse
	FirstDigit  Duration `yaml:"first_digit"`  // dial tone before the first digit
	InterDigit  Duration `yaml:"inter_digit"`  // wait for the next digit
	HowlerAfter Duration `yaml:"howler_after"` // off-hook with no call this long after congestion or clear-down: howler
}

// User is an extension: with a port it is an analog phone, with a password a SIP account.
type User struct {
	Ext      string `yaml:"ext"`
	Name     string `yaml:"name"`
	Port     int    `yaml:"port"`
	Password string `yaml:"password"`
	// CallWaiting announces a second call during a call (default true);
	// false gives the second caller busy.
	CallWaiting *bool `yaml:"call_waiting"`
}

// Trunk is a provider account for outside calls.
type Trunk struct {
	Name     string `yaml:"name"`
	Host     string `yaml:"host"`     // the provider's host:port (port 5060 when left out)
	Username string `yaml:"username"` // account and digest user name
	Password string `yaml:"password"`
	Prefix   string `yaml:"prefix"` // digits that select the trunk, stripped before the number goes out
	Domain   string `yaml:"domain"` // the account's SIP domain; default the host
	// Listen is the local host:port of the trunk's own SIP socket; default
	// sip.listen's host with any free port (the registration tells the
	// provider which).
	Listen   string   `yaml:"listen"`
	Register *bool    `yaml:"register"` // keep the account registered; default true when there is a username
	Expiry   Duration `yaml:"expiry"`   // registration lifetime asked for; default 10m
	// DID maps the numbers the provider calls in on to extensions, e.g.
	// {"4930123456": "100"}; Inbound is the extension for any other number
	// (empty: such calls are refused).
	DID     map[string]string `yaml:"did"`
	Inbound string            `yaml:"inbound"`
	// CallerID is the number presented on outside calls; default username.
	CallerID string `yaml:"caller_id"`
	// Privacy withholds the caller's name and number on outside calls (the
	// provider still learns the account's number, RFC 3325).
	Privacy bool `yaml:"privacy"`
}

// Registers reports whether the trunk keeps its account registered.
func (t *Trunk) Registers() bool {
	if t.Register != nil {
		return *t.Register
	}
	return t.Username != ""
}

// Duration is a time.Duration written as "100ms", "1.5s".
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration like 100ms or 2s", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// Countries are the countries whose tone plans and line timings are built in.
var countries = []string{"us", "uk", "de"}

// Error is a configuration error at a place in a file.
type Error struct {
	File string
	Line int
	Key  string // dotted path, e.g. users[1].port
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, ": %s", e.Key)
	}
	fmt.Fprintf(&b, ": %s", e.Msg)
	return b.String()
}

// Default returns the embedded default configuration.
func Default() *Config {
	c, err := Parse("(embedded default)", defaultYAML)
	if err != nil {
		panic(err) // the embedded file is tested
	}
	return c
}

// Load reads and checks a configuration file.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, b)
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
var unknownField = regexp.MustCompile(`field (\S+) not found in type config\.(\w+)`)

// Parse checks and decodes a configuration; file names it in errors.
func Parse(file string, data []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(file, err)
	}
	c := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(file, err)
	}
	c.defaults()
	if err := c.check(file, &root); err != nil {
		return nil, err
	}
	return c, nil
}

func yamlError(file string, err error) error {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	// Report the first problem precisely; yaml lists them in file order.
	m := msgs[0]
	e := &Error{File: file, Msg: m}
	if sm := yamlLine.FindStringSubmatch(m); sm != nil {
		e.Line, _ = strconv.Atoi(sm[1])
		e.Msg = sm[2]
	}
	if sm := unknownField.FindStringSubmatch(e.Msg); sm != nil {
		e.Key = sm[1]
		e.Msg = "unknown key (in " + strings.ToLower(sm[2]) + ")"
	}
	if len(msgs) > 1 {
		e.Msg += fmt.Sprintf(" (and %d more)", len(msgs)-1)
	}
	return e
}

func (c *Config) defaults() {
	if c.Country == "" {
		c.Country = "us"
	}
	if c.Board == "" {
		c.Board = "sim-4fxs"
	}
	if c.TransferRecall == 0 {
		c.TransferRecall = Duration(30 * time.Second)
	}
	if c.SIP.Listen == "" {
		c.SIP.Listen = "127.0.0.1:5060"
	}
	if c.HTTP.Listen == "" {
		c.HTTP.Listen = "127.0.0.1:8080"
	}
	if c.SIP.Realm == "" {
		c.SIP.Realm = "hookswitch"
	}
	if c.SIP.BanAfter == 0 {
		c.SIP.BanAfter = 5
	}
	if c.SIP.BanFor == 0 {
		c.SIP.BanFor = Duration(15 * time.Minute)
	}
	if c.SIP.Qualify == 0 {
		c.SIP.Qualify = Duration(60 * time.Second)
	}
	if c.CDR.MaxSize == "" {
		c.CDR.MaxSize = "4MiB"
	}
	if c.CDR.Recent == 0 {
		c.CDR.Recent = 1000
	}
}

// AllowedNetworks parses sip.allow; a bare address is a one-address network.
func (s *SIP) AllowedNetworks() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, a := range s.Allow {
		if p, err := netip.ParsePrefix(a); err == nil {
			out = append(out, p.Masked())
			continue
		}
		ip, err := netip.ParseAddr(a)
		if err != nil {
			return nil, fmt.Errorf("%q is not a network like 192.168.1.0/24 or an address", a)
		}
		out = append(out, netip.PrefixFrom(ip, ip.BitLen()))
	}
	return out, nil
}

var extRE = regexp.MustCompile(`^[0-9]{2,8}$`)

var prefixRE = regexp.MustCompile(`^[0-9*#]{1,8}$`)

func hostPort(s string) bool {
	_, _, err := net.SplitHostPort(s)
	return err == nil
}

func hasExt(users []User, ext string) bool {
	for _, u := range users {
		if u.Ext == ext {
			return true
		}
	}
	return false
}

func (c *Config) check(file string, root *yaml.Node) error {
	at := func(key string, path ...any) *Error {
		return &Error{File: file, Line: lineOf(root, path...), Key: key}
	}
	fail := func(e *Error, format string, a ...any) error {
		e.Msg = fmt.Sprintf(format, a...)
		return e
	}
	if !contains(countries, c.Country) {
		return fail(at("country", "country"), "unknown country %q (known: %s)", c.Country, strings.Join(countries, ", "))
	}
	for key, addr := range map[string]string{"sip.listen": c.SIP.Listen, "http.listen": c.HTTP.Listen} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			p := strings.Split(key, ".")
			return fail(at(key, p[0], p[1]), "%q is not host:port", addr)
		}
	}
	for i, a := range c.SIP.Digest {
		if a != "MD5" && a != "SHA-256" {
			return fail(at(fmt.Sprintf("sip.digest[%d]", i), "sip", "digest", i), "%q is not MD5 or SHA-256", a)
		}
	}
	for i, a := range c.SIP.Allow {
		one := SIP{Allow: []string{a}}
		if _, err := one.AllowedNetworks(); err != nil {
			return fail(at(fmt.Sprintf("sip.allow[%d]", i), "sip", "allow", i), "%v", err)
		}
	}
	if err := c.checkCDR(at, fail); err != nil {
		return err
	}
	exts := map[string]int{}
	ports := map[int]int{}
	for i, u := range c.Users {
		key := fmt.Sprintf("users[%d]", i)
		switch {
		case !extRE.MatchString(u.Ext):
			return fail(at(key+".ext", "users", i, "ext"), "extension %q must be 2 to 8 digits", u.Ext)
		case u.Port < 0:
			return fail(at(key+".port", "users", i, "port"), "port %d must be 1 or more", u.Port)
		case u.Port == 0 && u.Password == "":
			return fail(at(key, "users", i), "user %s needs a port (analog phone) or a password (SIP account)", u.Ext)
		}
		if j, dup := exts[u.Ext]; dup {
			return fail(at(key+".ext", "users", i, "ext"), "extension %s is already users[%d]", u.Ext, j)
		}
		exts[u.Ext] = i
		if u.Port > 0 {
			if j, dup := ports[u.Port]; dup {
				return fail(at(key+".port", "users", i, "port"), "port %d is already users[%d]'s", u.Port, j)
			}
			ports[u.Port] = i
		}
	}
	names := map[string]int{}
	for i, t := range c.Trunks {
		key := fmt.Sprintf("trunks[%d]", i)
		switch {
		case t.Name == "":
			return fail(at(key+".name", "trunks", i), "trunk needs a name")
		case t.Host == "":
			return fail(at(key+".host", "trunks", i), "trunk %s needs a host", t.Name)
		case t.Prefix != "" && !prefixRE.MatchString(t.Prefix):
			return fail(at(key+".prefix", "trunks", i, "prefix"), "prefix %q must be digits, * or #", t.Prefix)
		case t.Listen != "" && !hostPort(t.Listen):
			return fail(at(key+".listen", "trunks", i, "listen"), "%q is not host:port", t.Listen)
		case t.Inbound != "" && !hasExt(c.Users, t.Inbound):
			return fail(at(key+".inbound", "trunks", i, "inbound"), "extension %s is not a user", t.Inbound)
		}
		if j, dup := names[t.Name]; dup {
			return fail(at(key+".name", "trunks", i, "name"), "trunk %s is already trunks[%d]", t.Name, j)
		}
		names[t.Name] = i
		for num, ext := range t.DID {
			if !hasExt(c.Users, ext) {
				return fail(at(key+".did", "trunks", i, "did", num), "number %s goes to extension %s, which is not a user", num, ext)
			}
		}
	}
	return nil
}

func (c *Config) checkCDR(at func(string, ...any) *Error, fail func(*Error, string, ...any) error) error {
	n, ok := parseSize(c.CDR.MaxSize)
	switch {
	case !ok:
		return fail(at("cdr.max_size", "cdr", "max_size"), "%q is not a size like 4MiB, 512KiB or 1048576", c.CDR.MaxSize)
	case n < cdrMinSize || n > cdrMaxSize:
		return fail(at("cdr.max_size", "cdr", "max_size"), "%s is outside 64KiB to 64MiB", c.CDR.MaxSize)
	case c.CDR.Recent < 1 || c.CDR.Recent > cdrMaxRecent:
		return fail(at("cdr.recent", "cdr", "recent"), "%d is outside 1 to %d", c.CDR.Recent, cdrMaxRecent)
	}
	c.CDR.maxBytes = n
	return nil
}

// lineOf finds the line of the node at path (map keys and list indexes),
// or of the deepest part of it that exists.
func lineOf(root *yaml.Node, path ...any) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, p := range path {
		switch k := p.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return line
			}
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == k {
					line = n.Content[i].Line
					n = n.Content[i+1]
					found = true
					break
				}
			}
			if !found {
				return line
			}
		case int:
			if n.Kind != yaml.SequenceNode || k >= len(n.Content) {
				return line
			}
			n = n.Content[k]
			line = n.Line
		}
	}
	return line
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// PortUser returns the user on an FXS port, if any.
func (c *Config) PortUser(port int) (User, bool) {
	for _, u := range c.Users {
		if u.Port == port {
			return u, true
		}
	}
	return User{}, false
}
