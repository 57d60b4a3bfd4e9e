package sdp

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	psdp "github.com/pion/sdp/v3"

	"github.com/hookswitch/hookswitch/pbx/media/g711"
)

// Errors. ErrNoAudio and ErrNoCommonCodec also match ErrNotAcceptable.
var (
	ErrNotAcceptable = errors.New("sdp: not acceptable")
	ErrNoAudio       = fmt.Errorf("%w: no RTP/AVP audio stream", ErrNotAcceptable)
	ErrNoCommonCodec = fmt.Errorf("%w: no codec in common", ErrNotAcceptable)
	ErrMalformed     = errors.New("sdp: malformed")
	ErrRejected      = errors.New("sdp: audio stream rejected (port 0)")
	ErrBadLocal      = errors.New("sdp: bad local parameters")
)

// Direction is an a=sendrecv/sendonly/recvonly/inactive attribute
// (RFC 3264 §5.1), always from the point of view of the side that wrote it.
type Direction uint8

// Directions. The zero Direction means SendRecv where a default is taken.
const (
	SendRecv Direction = iota + 1
	SendOnly
	RecvOnly
	Inactive
)

func dir(send, recv bool) Direction {
	switch {
	case send && recv:
		return SendRecv
	case send:
		return SendOnly
	case recv:
		return RecvOnly
	}
	return Inactive
}

// Sends reports whether the side sends media.
func (d Direction) Sends() bool { return d == SendRecv || d == SendOnly || d == 0 }

// Receives reports whether the side receives media.
func (d Direction) Receives() bool { return d == SendRecv || d == RecvOnly || d == 0 }

// Reverse is the same stream seen from the other side: their sendonly is our
// recvonly.
func (d Direction) Reverse() Direction { return dir(d.Receives(), d.Sends()) }

// And keeps only what both allow.
func (d Direction) And(o Direction) Direction {
	return dir(d.Sends() && o.Sends(), d.Receives() && o.Receives())
}

func (d Direction) String() string {
	switch d {
	case SendRecv, 0:
		return "sendrecv"
	case SendOnly:
		return "sendonly"
	case RecvOnly:
		return "recvonly"
	case Inactive:
		return "inactive"
	}
	return "direction?"
}

// DefaultEventPayloadType is the dynamic payload type we offer for
// telephone-event (a common choice; RFC 4733 assigns none).
const DefaultEventPayloadType = 101

// ptime is our packetisation: one hal frame (RFC 4566 §6 a=ptime).
const ptime = 20

// eventsOffered is the fmtp we offer: DTMF 0-15 and flash 16 (RFC 4733 §3.2).
const eventsOffered = "0-16"

// Local is our side of the audio stream.
type Local struct {
	Addr netip.Addr // c= and o= address
	Port int        // RTP port for m=
	// Codecs in our order of preference; nil means PCMU then PCMA.
	Codecs []g711.Law
	// EventPT is the payload type we offer for telephone-event; 0 means 101.
	EventPT uint8
	// NoEvents leaves telephone-event out.
	NoEvents bool
	// Direction we want; zero means sendrecv. SendOnly or Inactive put the
	// peer on hold (RFC 3264 §8.4).
	Direction Direction
	// RTCPMux offers or accepts RTCP on the RTP port (RFC 5761).
	RTCPMux bool
	// SessionID and Version fill o= (RFC 4566 §5.2). Keep SessionID for the
	// dialog and increase Version with each changed offer (RFC 3264 §8).
	SessionID, Version uint64
	// Username for o=; empty means "hookswitch".
	Username string
}

func (l *Local) codecs() []g711.Law {
	if len(l.Codecs) == 0 {
		return []g711.Law{g711.PCMU, g711.PCMA}
	}
	return l.Codecs
}

func (l *Local) eventPT() uint8 {
	if l.EventPT == 0 {
		return DefaultEventPayloadType
	}
	return l.EventPT
}

func (l *Local) check() error {
	if !l.Addr.IsValid() || l.Port <= 0 || l.Port > 0xffff {
		return fmt.Errorf("%w: address %v port %d", ErrBadLocal, l.Addr, l.Port)
	}
	for _, c := range l.codecs() {
		if !c.Valid() {
			return fmt.Errorf("%w: codec %v", ErrBadLocal, c)
		}
	}
	if !l.NoEvents && (l.eventPT() < 96 || l.eventPT() > 127) {
		return fmt.Errorf("%w: telephone-event payload type %d is not dynamic (96-127)", ErrBadLocal, l.eventPT())
	}
	return nil
}

// Negotiated is what offer and answer agreed for the audio stream.
type Negotiated struct {
	Codec  g711.Law
	SendPT uint8 // payload type on the audio we send: the number the peer declared
	RecvPT uint8 // payload type the peer puts on audio for us: the number we declared

	Events      bool  // telephone-event agreed
	SendEventPT uint8 // as SendPT, for telephone-event
	RecvEventPT uint8 // as RecvPT, for telephone-event

	Remote     netip.AddrPort // where to send RTP; its Addr is unspecified on a c=0.0.0.0 hold
	RemoteRTCP netip.AddrPort // where to send RTCP (the RTP address itself when RTCPMux)
	RTCPMux    bool

	Direction   Direction // ours: whether we send and receive
	RemotePtime int       // the peer's a=ptime in ms, 0 if absent
}

// Offer builds our SDP offer.
func Offer(l Local) ([]byte, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	var fmts []format
	for _, c := range l.codecs() {
		fmts = append(fmts, format{pt: c.PayloadType(), name: c.String(), rate: 8000})
	}
	if !l.NoEvents {
		fmts = append(fmts, format{pt: l.eventPT(), name: telephoneEvent, rate: 8000, fmtp: eventsOffered})
	}
	d := session(&l)
	d.MediaDescriptions = []*psdp.MediaDescription{audio(&l, "RTP/AVP", fmts, l.Direction, l.RTCPMux)}
	return marshal(d)
}

// Answer answers a remote offer. On success it returns our answer and what
// was agreed. Offers we cannot take return an error matching ErrNotAcceptable
// (answer 488) or ErrMalformed.
func Answer(l Local, offer []byte) ([]byte, Negotiated, error) {
	if err := l.check(); err != nil {
		return nil, Negotiated{}, err
	}
	d, err := parse(offer)
	if err != nil {
		return nil, Negotiated{}, err
	}
	chosen := -1
	var neg Negotiated
	var fmts []format
	var lastErr = ErrNoAudio
	for i, md := range d.MediaDescriptions {
		if chosen >= 0 || md.MediaName.Media != "audio" || md.MediaName.Port.Value == 0 || !avp(md) {
			continue
		}
		m, err := media(d, md)
		if err != nil {
			return nil, Negotiated{}, err
		}
		codec, pt, ok := pick(m.formats, l.codecs())
		if !ok {
			lastErr = ErrNoCommonCodec
			continue
		}
		chosen = i
		neg = agreed(&l, m, codec, pt, pt, l.RTCPMux && m.rtcpMux)
		fmts = []format{{pt: pt, name: codec.String(), rate: 8000}}
		if ev, ok := events(m.formats); ok && !l.NoEvents {
			if mask := eventMask(ev.fmtp) & dtmfMask; mask != 0 {
				neg.Events, neg.SendEventPT, neg.RecvEventPT = true, ev.pt, ev.pt
				fmts = append(fmts, format{pt: ev.pt, name: telephoneEvent, rate: 8000, fmtp: maskString(mask)})
			}
		}
	}
	if chosen < 0 {
		return nil, Negotiated{}, lastErr
	}
	a := session(&l)
	for i, md := range d.MediaDescriptions {
		if i == chosen {
			a.MediaDescriptions = append(a.MediaDescriptions,
				audio(&l, strings.Join(md.MediaName.Protos, "/"), fmts, neg.Direction, neg.RTCPMux))
			continue
		}
		// RFC 3264 §6: every offered stream gets an m= line; refused ones port 0.
		a.MediaDescriptions = append(a.MediaDescriptions, &psdp.MediaDescription{
			MediaName: psdp.MediaName{
				Media:   md.MediaName.Media,
				Port:    psdp.RangedPort{Value: 0},
				Protos:  md.MediaName.Protos,
				Formats: md.MediaName.Formats,
			},
		})
	}
	b, err := marshal(a)
	return b, neg, err
}

// ParseAnswer reads the answer to an offer we built from l.
func ParseAnswer(l Local, answer []byte) (Negotiated, error) {
	if err := l.check(); err != nil {
		return Negotiated{}, err
	}
	d, err := parse(answer)
	if err != nil {
		return Negotiated{}, err
	}
	if len(d.MediaDescriptions) == 0 || d.MediaDescriptions[0].MediaName.Media != "audio" {
		return Negotiated{}, ErrNoAudio
	}
	md := d.MediaDescriptions[0] // we offer one stream, so the answer has one (RFC 3264 §6)
	if md.MediaName.Port.Value == 0 {
		return Negotiated{}, ErrRejected
	}
	m, err := media(d, md)
	if err != nil {
		return Negotiated{}, err
	}
	codec, pt, ok := pick(m.formats, l.codecs())
	if !ok {
		return Negotiated{}, ErrNoCommonCodec
	}
	neg := agreed(&l, m, codec, pt, codec.PayloadType(), l.RTCPMux && m.rtcpMux)
	if ev, ok := events(m.formats); ok && !l.NoEvents {
		neg.Events, neg.SendEventPT, neg.RecvEventPT = true, ev.pt, l.eventPT()
	}
	return neg, nil
}

// Remote is the remote description's audio stream, for callers that only
// need addresses (a re-INVITE that changes nothing else, logs).
type Remote struct {
	Addr      netip.AddrPort
	RTCP      netip.AddrPort
	RTCPMux   bool
	Direction Direction // as the remote wrote it (c=0.0.0.0 makes it not receive)
	Ptime     int
	Formats   []string // "0 PCMU/8000", "101 telephone-event/8000 0-16", in order
}

// Parse reads the first usable audio stream of a remote description.
func Parse(b []byte) (Remote, error) {
	d, err := parse(b)
	if err != nil {
		return Remote{}, err
	}
	for _, md := range d.MediaDescriptions {
		if md.MediaName.Media != "audio" || md.MediaName.Port.Value == 0 || !avp(md) {
			continue
		}
		m, err := media(d, md)
		if err != nil {
			return Remote{}, err
		}
		r := Remote{Addr: m.addr, RTCP: m.rtcp, RTCPMux: m.rtcpMux, Direction: m.dir, Ptime: m.ptime}
		for _, f := range m.formats {
			s := fmt.Sprintf("%d %s/%d", f.pt, f.name, f.rate)
			if f.fmtp != "" {
				s += " " + f.fmtp
			}
			r.Formats = append(r.Formats, s)
		}
		return r, nil
	}
	return Remote{}, ErrNoAudio
}

const telephoneEvent = "telephone-event"

type format struct {
	pt   uint8
	name string
	rate int
	fmtp string
}

// remote is one parsed remote audio stream.
type remote struct {
	addr    netip.AddrPort
	rtcp    netip.AddrPort
	rtcpMux bool
	dir     Direction
	ptime   int
	formats []format
}

func parse(b []byte) (*psdp.SessionDescription, error) {
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil, fmt.Errorf("%w: empty body", ErrMalformed)
	}
	var d psdp.SessionDescription
	if err := d.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return &d, nil
}

func avp(md *psdp.MediaDescription) bool {
	p := strings.Join(md.MediaName.Protos, "/")
	return p == "RTP/AVP" || p == "RTP/AVPF" // AVPF is AVP plus feedback we ignore (RFC 4585 §3)
}

func media(d *psdp.SessionDescription, md *psdp.MediaDescription) (remote, error) {
	var m remote
	c := md.ConnectionInformation // media-level c= overrides session-level (RFC 4566 §5.7)
	if c == nil {
		c = d.ConnectionInformation
	}
	if c == nil || c.Address == nil {
		return m, fmt.Errorf("%w: no c= line for audio", ErrMalformed)
	}
	ip, err := netip.ParseAddr(strings.TrimSpace(c.Address.Address))
	if err != nil {
		return m, fmt.Errorf("%w: c= address %q is not an IP address", ErrMalformed, c.Address.Address)
	}
	port := md.MediaName.Port.Value
	if port <= 0 || port > 0xffff {
		return m, fmt.Errorf("%w: port %d", ErrMalformed, port)
	}
	m.addr = netip.AddrPortFrom(ip.Unmap(), uint16(port))
	m.rtcp = netip.AddrPortFrom(ip.Unmap(), uint16(port+1)) // RFC 3550 §11: the next port
	if v, ok := md.Attribute("rtcp"); ok {                  // RFC 3605: a=rtcp:port [IN IP4 addr]
		f := strings.Fields(v)
		if len(f) == 0 {
			// ignore an empty a=rtcp
		} else if p, err := strconv.Atoi(f[0]); err == nil && p > 0 && p <= 0xffff {
			a := ip
			if len(f) == 4 {
				if x, err := netip.ParseAddr(f[3]); err == nil {
					a = x
				}
			}
			m.rtcp = netip.AddrPortFrom(a.Unmap(), uint16(p))
		}
	}
	if _, ok := md.Attribute("rtcp-mux"); ok {
		m.rtcpMux = true
	}
	m.dir = SendRecv
	for _, attrs := range [][]psdp.Attribute{d.Attributes, md.Attributes} { // media level wins
		for _, a := range attrs {
			if nd := parseDirection(a.Key); nd != 0 {
				m.dir = nd
			}
		}
	}
	if ip.IsUnspecified() { // RFC 3264 §8.4: c=0.0.0.0 is the old way to say "don't send to me"
		m.dir = dir(m.dir.Sends(), false)
	}
	if v, ok := md.Attribute("ptime"); ok {
		m.ptime, _ = strconv.Atoi(strings.TrimSpace(v))
	}
	rtpmap := map[uint8]format{}
	fmtps := map[uint8]string{}
	for _, a := range md.Attributes {
		switch a.Key {
		case "rtpmap": // "101 telephone-event/8000"
			pt, rest, ok := ptPrefix(a.Value)
			if !ok {
				continue
			}
			parts := strings.Split(rest, "/")
			f := format{pt: pt, name: parts[0]}
			if len(parts) > 1 {
				f.rate, _ = strconv.Atoi(parts[1])
			}
			rtpmap[pt] = f
		case "fmtp":
			if pt, rest, ok := ptPrefix(a.Value); ok {
				fmtps[pt] = rest
			}
		}
	}
	for _, s := range md.MediaName.Formats {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 127 {
			continue
		}
		pt := uint8(n)
		f, ok := rtpmap[pt]
		if !ok {
			if law, static := g711.ForPayloadType(pt); static { // RFC 3551 Table 4
				f = format{pt: pt, name: law.String(), rate: 8000}
			} else {
				f = format{pt: pt, name: "?", rate: 0}
			}
		}
		f.fmtp = fmtps[pt]
		m.formats = append(m.formats, f)
	}
	return m, nil
}

func ptPrefix(v string) (uint8, string, bool) {
	head, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
	n, err := strconv.Atoi(head)
	if err != nil || n < 0 || n > 127 {
		return 0, "", false
	}
	return uint8(n), strings.TrimSpace(rest), true
}

func parseDirection(key string) Direction {
	switch key {
	case "sendrecv":
		return SendRecv
	case "sendonly":
		return SendOnly
	case "recvonly":
		return RecvOnly
	case "inactive":
		return Inactive
	}
	return 0
}

// pick returns the first of the remote's formats, in the remote's order, that
// is a law we support.
func pick(fmts []format, ours []g711.Law) (g711.Law, uint8, bool) {
	for _, f := range fmts {
		if f.rate != 8000 {
			continue
		}
		for _, law := range ours {
			if strings.EqualFold(f.name, law.String()) {
				return law, f.pt, true
			}
		}
	}
	return 0, 0, false
}

func events(fmts []format) (format, bool) {
	for _, f := range fmts {
		if strings.EqualFold(f.name, telephoneEvent) && f.rate == 8000 {
			return f, true
		}
	}
	return format{}, false
}

func agreed(l *Local, m remote, codec g711.Law, sendPT, recvPT uint8, mux bool) Negotiated {
	n := Negotiated{
		Codec:       codec,
		SendPT:      sendPT,
		RecvPT:      recvPT,
		Remote:      m.addr,
		RemoteRTCP:  m.rtcp,
		RTCPMux:     mux,
		Direction:   l.Direction.And(m.dir.Reverse()),
		RemotePtime: m.ptime,
	}
	if mux {
		n.RemoteRTCP = m.addr
	}
	return n
}

// dtmfMask is the events we handle: 0-16.
const dtmfMask = 1<<17 - 1

// eventMask reads an fmtp event list such as "0-15,66,70" into a bit mask of
// events 0-63. No fmtp means 0-15 (RFC 4733 §2.4.1).
func eventMask(fmtp string) uint64 {
	if strings.TrimSpace(fmtp) == "" {
		return 1<<16 - 1
	}
	var m uint64
	for _, part := range strings.Split(fmtp, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err1 := strconv.Atoi(lo)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || a < 0 || b < a {
			continue
		}
		for e := a; e <= min(b, 63); e++ {
			m |= 1 << e
		}
	}
	return m
}

// maskString writes a mask back as ranges: "0-15", "0-11,16".
func maskString(m uint64) string {
	var parts []string
	for e := 0; e < 64; {
		if m&(1<<e) == 0 {
			e++
			continue
		}
		s := e
		for e < 64 && m&(1<<e) != 0 {
			e++
		}
		if e-1 == s {
			parts = append(parts, strconv.Itoa(s))
		} else {
			parts = append(parts, strconv.Itoa(s)+"-"+strconv.Itoa(e-1))
		}
	}
	return strings.Join(parts, ",")
}

func addrType(a netip.Addr) string {
	if a.Is4() || a.Is4In6() {
		return "IP4"
	}
	return "IP6"
}

func session(l *Local) *psdp.SessionDescription {
	user := l.Username
	if user == "" {
		user = "hookswitch"
	}
	addr := l.Addr.Unmap().String()
	return &psdp.SessionDescription{
		Version: 0,
		Origin: psdp.Origin{
			Username: user, SessionID: l.SessionID, SessionVersion: l.Version,
			NetworkType: "IN", AddressType: addrType(l.Addr), UnicastAddress: addr,
		},
		SessionName: "hookswitch",
		ConnectionInformation: &psdp.ConnectionInformation{
			NetworkType: "IN", AddressType: addrType(l.Addr), Address: &psdp.Address{Address: addr},
		},
		TimeDescriptions: []psdp.TimeDescription{{Timing: psdp.Timing{}}},
	}
}

func audio(l *Local, proto string, fmts []format, d Direction, mux bool) *psdp.MediaDescription {
	md := &psdp.MediaDescription{
		MediaName: psdp.MediaName{
			Media:  "audio",
			Port:   psdp.RangedPort{Value: l.Port},
			Protos: strings.Split(proto, "/"),
		},
	}
	for _, f := range fmts {
		pt := strconv.Itoa(int(f.pt))
		md.MediaName.Formats = append(md.MediaName.Formats, pt)
		md.Attributes = append(md.Attributes, psdp.NewAttribute("rtpmap", pt+" "+f.name+"/"+strconv.Itoa(f.rate)))
		if f.fmtp != "" {
			md.Attributes = append(md.Attributes, psdp.NewAttribute("fmtp", pt+" "+f.fmtp))
		}
	}
	md.Attributes = append(md.Attributes, psdp.NewAttribute("ptime", strconv.Itoa(ptime)))
	if mux {
		md.Attributes = append(md.Attributes, psdp.NewPropertyAttribute("rtcp-mux"))
	}
	if d == 0 {
		d = SendRecv
	}
	md.Attributes = append(md.Attributes, psdp.NewPropertyAttribute(d.String()))
	return md
}

func marshal(d *psdp.SessionDescription) ([]byte, error) {
	b, err := d.Marshal()
	if err != nil {
		return nil, fmt.Errorf("sdp: marshal: %w", err)
	}
	return b, nil
}
