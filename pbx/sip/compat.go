package sip

import (
	"bytes"
	"net"
	"slices"
	"strings"
)

// compat.go rewrites, before sipgo parses a datagram, what RFC 3261 lets a
// peer send but sipgo v1.7.2 misreads:
//
//   - Folded header lines are unfolded (RFC 3261 §7.3.1). sipgo unfolds
//     too, but keeps the white space around separators.
//   - In the headers sipgo parses into parts (Via, From, To, Contact, Route,
//     Record-Route, Refer-To, Referred-By, Reply-To, Content-Type, CSeq),
//     LWS next to SEMI, EQUAL, SLASH, COMMA and COLON is dropped and other
//     runs become one SP, outside quoted strings and <URIs> (RFC 3261 §25.1:
//     SEMI = SWS ";" SWS and so on; "a recipient MAY replace any linear white
//     space with a single SP"). sipgo reads "; tag = x" as a parameter named
//     " tag ", "h:5060 ; received=..." as a Via without a host and
//     "1  INVITE" as the method " INVITE" (RFC 4475 §3.1.1.1).
//   - A request from an RFC 2543 element (RFC 4475 §3.3.15) whose top Via has
//     no branch gets one, and one with no From tag gets a tag: sipgo keys a
//     transaction without a "z9hG4bK" branch by its From tag and answers 400
//     when there is none, and its dialogs need a From tag (RFC 3261 §12.1.1
//     counts a missing one as null).
//
// The body is copied untouched, so Content-Length (the body's octets,
// RFC 3261 §20.14) stays right, and a datagram without one still has the
// rest of the datagram as its body (RFC 4475 §3.3.15). restore takes the
// made-up branch and tag back out of what we send; compatConn applies it to
// the socket sipgo writes to.

// compatMark starts the branch and From tag compat makes up. It is not
// RFC 3261's magic cookie "z9hG4bK" (§8.1.1.7): the branch is not unique
// across space and time, only the same for a transaction's retransmissions.
const compatMark = "hs2543-"

var (
	crlf         = []byte("\r\n")
	crlf2        = []byte("\r\n\r\n")
	compatMarkB  = []byte(compatMark)
	compatBranch = []byte(";branch=" + compatMark)
	compatTag    = []byte(";tag=" + compatMark)
)

// hashLen is the hex digits of a made-up branch or tag (64 bits).
const hashLen = 16

// header kinds: which separators LWS may surround (RFC 3261 §25.1, §20).
const (
	plain = iota
	via
	fromHdr
	addr     // one name-addr with parameters: ; =
	addrList // comma-separated name-addrs: ; = ,
	ctype    // media-type: ; = /
	cseq     // number SP method
)

var kindSeps = [...]string{
	plain: "", via: ";=/,:", fromHdr: ";=", addr: ";=",
	addrList: ";=,", ctype: ";=/", cseq: "",
}

// kindOf names a header by its long or compact form (RFC 3261 §7.3.3),
// case-insensitively (§7.3.1).
func kindOf(name []byte) int {
	var buf [20]byte
	if len(name) > len(buf) {
		return plain
	}
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	switch string(buf[:len(name)]) {
	case "via", "v":
		return via
	case "from", "f":
		return fromHdr
	case "to", "t", "refer-to", "r", "referred-by", "b", "reply-to":
		return addr
	case "contact", "m", "route", "record-route", "p-asserted-identity":
		return addrList
	case "content-type", "c":
		return ctype
	case "cseq":
		return cseq
	}
	return plain
}

func isLWS(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// Byte classes for the scanners: what may end a run of ordinary bytes.
const (
	clsLWS   = 1 << iota // SP HT CR LF
	clsFold              // CR LF
	clsQuote             // "
	clsEsc               // \
	clsAngle             // < >
	clsParam             // ; ,
)

var class = func() (t [256]uint8) {
	t[' '], t['\t'] = clsLWS, clsLWS
	t['\r'], t['\n'] = clsLWS|clsFold, clsLWS|clsFold
	t['"'], t['\\'], t['<'], t['>'] = clsQuote, clsEsc, clsAngle, clsAngle
	t[';'], t[','] = clsParam, clsParam
	return t
}()

// skip returns the index of the first byte from i on in one of the classes
// in stop, or len(v).
func skip(v []byte, i int, stop uint8) int {
	for i < len(v) && class[v[i]]&stop == 0 {
		i++
	}
	return i
}

// canon appends to dst the header value v with its ends trimmed, each fold
// (CRLF and the white space after it) made one SP (§7.3.1), and, for a
// structured kind, outside quoted strings and <...>, each run of LWS next to
// one of seps dropped (one SP after a comma) and any other run made one SP
// (§25.1). It appends only when write is set; changed reports whether the
// result differs from v beyond the trimming, which sipgo does itself.
func canon(dst, v []byte, kind int, write bool) (_ []byte, changed bool) {
	seps := kindSeps[kind]
	start, end := 0, len(v)
	for start < end && class[v[start]]&clsLWS != 0 {
		start++
	}
	for end > start && class[v[end-1]]&clsLWS != 0 {
		end--
	}
	v = v[:end]
	quoted, angle := false, false
	for i := start; i < end; {
		// A run of bytes copied as they are.
		var j int
		switch {
		case quoted:
			j = skip(v, i, clsQuote|clsEsc|clsFold)
		case angle:
			j = skip(v, i, clsAngle|clsFold)
		default:
			j = skip(v, i, clsLWS|clsQuote|clsAngle)
		}
		if write {
			dst = append(dst, v[i:j]...)
		}
		if i = j; i == end {
			break
		}
		c := v[i]
		cls := class[c]
		switch {
		case cls&clsLWS != 0:
			fold := false
			for j < end && class[v[j]]&clsLWS != 0 {
				fold = fold || class[v[j]]&clsFold != 0
				j++
			}
			// The ends are trimmed, so v[i-1] and v[j] exist.
			free := kind != plain && !quoted && !angle
			sepBefore := free && strings.IndexByte(seps, v[i-1]) >= 0
			sepAfter := free && strings.IndexByte(seps, v[j]) >= 0
			switch {
			case sepBefore && v[i-1] == ',':
				// ", " is how lists are written; sipgo reads it right.
				changed = changed || fold || j-i > 1 || c != ' ' || sepAfter
				if write {
					dst = append(dst, ' ')
				}
			case sepBefore || sepAfter:
				changed = true
			case fold || free && (j-i > 1 || c != ' '):
				changed = true
				if write {
					dst = append(dst, ' ')
				}
			case write:
				dst = append(dst, v[i:j]...)
			}
			i = j
			continue
		case cls == clsEsc && i+1 < end:
			j = i + 2 // a quoted-pair
		case cls == clsQuote:
			quoted, j = !quoted, i+1
		case cls == clsAngle:
			angle, j = c == '<', i+1
		default:
			j = i + 1
		}
		if write {
			dst = append(dst, v[i:j]...)
		}
		i = j
	}
	return dst, changed
}

// plainSpaces is canon's quick answer for an unfolded value: true when
// every LWS inside it is one SP between bytes that are neither LWS nor
// separators, so canon would change nothing; false means ask canon.
func plainSpaces(v []byte, seps string) bool {
	if bytes.IndexByte(v, '\t') >= 0 {
		return false
	}
	for len(v) > 0 && v[0] == ' ' {
		v = v[1:]
	}
	v = trimWS(v)
	for i := 0; ; i++ {
		j := bytes.IndexByte(v[i:], ' ')
		if j < 0 {
			return true
		}
		i += j
		p, n := v[i-1], v[i+1] // the ends are not SP
		if n == ' ' || strings.IndexByte(seps, p) >= 0 || strings.IndexByte(seps, n) >= 0 {
			return false
		}
	}
}

// param returns the value of the header parameter name in v (a value as
// sent or canonical), looking outside quoted strings and <...>, and up to
// the first comma when first is set (the top value of a Via). Parameter
// names are case-insensitive (§7.3.1).
func param(v []byte, name string, first bool) (val []byte, ok bool) {
	quoted, angle := false, false
	for i := 0; i < len(v); i++ {
		switch {
		case quoted:
			if i = skip(v, i, clsQuote|clsEsc); i < len(v) && v[i] == '\\' {
				i++ // a quoted-pair
			} else {
				quoted = false
			}
			continue
		case angle:
			if i = skip(v, i, clsAngle); i < len(v) {
				angle = v[i] != '>'
			}
			continue
		}
		if i = skip(v, i, clsQuote|clsAngle|clsParam); i == len(v) {
			break
		}
		switch v[i] {
		case '"':
			quoted = true
			continue
		case '<':
			angle = true
			continue
		case '>':
			continue
		case ',':
			if first {
				return nil, false
			}
			continue
		}
		j := i + 1
		for j < len(v) && isLWS(v[j]) {
			j++
		}
		if len(v)-j < len(name) || !bytes.EqualFold(v[j:j+len(name)], []byte(name)) {
			continue
		}
		j += len(name)
		for j < len(v) && isLWS(v[j]) {
			j++
		}
		if j == len(v) || v[j] == ';' || v[j] == ',' {
			return nil, true
		}
		if v[j] != '=' {
			continue
		}
		for j++; j < len(v) && isLWS(v[j]); j++ {
		}
		k := j
		for k < len(v) && !isLWS(v[k]) && v[k] != ';' && v[k] != ',' && v[k] != '>' {
			k++
		}
		return v[j:k], true
	}
	return nil, false
}

// nextHeader returns the header at the start of b with its folded lines
// (each ends in CRLF and the next line starts with SP or HT, §7.3.1), the
// bytes it takes including the final CRLF, and whether it is folded.
func nextHeader(b []byte) (h []byte, n int, folded bool) {
	for {
		i := bytes.Index(b[n:], crlf)
		if i < 0 {
			return b, len(b), folded
		}
		n += i + 2
		if n >= len(b) || (b[n] != ' ' && b[n] != '\t') {
			return b[:n-2], n, folded
		}
		folded = true
	}
}

// trimWS is b without trailing SP and HT.
func trimWS(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// compat returns data itself when sipgo reads it right, and otherwise an
// equivalent message that sipgo reads right (see the top of this file). It
// runs on every datagram: the common case only scans the header block.
func compat(data []byte) []byte {
	nl := bytes.Index(data, crlf)
	if nl < 0 {
		return data
	}
	req := !bytes.HasPrefix(data, []byte("SIP/"))
	need, viaSeen, fromSeen := false, false, false
	for rest := data[nl+2:]; !need && len(rest) > 0 && rest[0] != '\r'; {
		h, n, folded := nextHeader(rest)
		rest = rest[n:]
		name, v, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			continue
		}
		kind := kindOf(trimWS(name))
		need = folded
		if !need && kind != plain && !plainSpaces(v, kindSeps[kind]) {
			_, need = canon(nil, v, kind, false)
		}
		if req && kind == via && !viaSeen {
			viaSeen = true
			_, ok := param(v, "branch", true)
			need = need || !ok
		}
		if req && kind == fromHdr && !fromSeen {
			fromSeen = true
			_, ok := param(v, "tag", false)
			need = need || !ok
		}
	}
	if !need {
		return data
	}
	end := bytes.Index(data, crlf2)
	if end < 0 {
		return data // no end of the headers: for the parser to refuse
	}
	head := data[:end+2]
	if n := bytes.Count(head, crlf); bytes.Count(head, []byte("\r")) != n || bytes.Count(head, []byte("\n")) != n {
		return data // a CR or LF alone: for the parser to refuse, not to repair
	}
	return rewrite(data, end, req)
}

// span is where a header value sits in the rewritten message.
type span struct{ start, end int }

// rewrite is compat's slow path: every header canonical (canon), the made-up
// branch and From tag put in.
func rewrite(data []byte, end int, req bool) []byte {
	extra := len(compatBranch) + len(compatTag) + 2*hashLen
	dst := make([]byte, 0, len(data)+extra)
	head := data[:end+2]
	nl := bytes.Index(head, crlf)
	dst = append(dst, head[:nl+2]...)
	var topVia, from, callID, seq span
	viaSeen, fromSeen, callIDSeen, seqSeen := false, false, false, false
	for rest := head[nl+2:]; len(rest) > 0; {
		h, n, _ := nextHeader(rest)
		rest = rest[n:]
		name, v, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			dst = append(dst, h...) // not a header: left for the parser to refuse
			dst = append(dst, crlf...)
			continue
		}
		name = trimWS(name)
		kind := kindOf(name)
		dst = append(dst, name...)
		dst = append(dst, ": "...)
		start := len(dst)
		dst, _ = canon(dst, v, kind, true)
		s := span{start, len(dst)}
		switch {
		case kind == via && !viaSeen:
			viaSeen, topVia = true, s
		case kind == fromHdr && !fromSeen:
			fromSeen, from = true, s
		case kind == cseq && !seqSeen:
			seqSeen, seq = true, s
		case !callIDSeen && (bytes.EqualFold(name, []byte("call-id")) || bytes.EqualFold(name, []byte("i"))):
			callIDSeen, callID = true, s
		}
		dst = append(dst, crlf...)
	}
	dst = append(dst, crlf...)
	dst = append(dst, data[end+4:]...)
	if !req || !viaSeen {
		return dst
	}
	// Hash everything before inserting, which moves the spans. A value left
	// inside a quoted string or <...> gets nothing: it is broken already.
	fromV := dst[from.start:from.end]
	tag, hasTag := param(fromV, "tag", false)
	hasTag = hasTag || unclosed(fromV)
	_, hasBranch := param(dst[topVia.start:topVia.end], "branch", true)
	hasBranch = hasBranch || unclosed(dst[topVia.start:topVia.end])
	var addTag, addBranch [len(";branch=") + len(compatMark) + hashLen]byte
	nTag, nBranch := 0, 0
	if fromSeen && !hasTag {
		// The same for every request of the call (RFC 2543 names a call leg
		// by Call-ID, From and To), so in-dialog requests find the dialog.
		var h fnv64
		h.add(dst[callID.start:callID.end])
		h.add(fromV)
		nTag = copy(addTag[:], compatTag)
		nTag += h.hex(addTag[nTag:])
		tag = addTag[len(";tag="):nTag]
	}
	if !hasBranch {
		nBranch = copy(addBranch[:], compatBranch)
		nBranch += branchHash(dst, head[:nl], tag, callID, seq, topVia).hex(addBranch[nBranch:])
	}
	// The Via's branch goes after its first value (a comma ends it).
	at := topVia.end
	if i := topComma(dst[topVia.start:topVia.end]); i >= 0 {
		at = topVia.start + i
	}
	ins := []struct {
		at int
		b  []byte
	}{{at, addBranch[:nBranch]}, {from.end, addTag[:nTag]}}
	if ins[0].at < ins[1].at {
		ins[0], ins[1] = ins[1], ins[0]
	}
	for _, in := range ins {
		if len(in.b) > 0 {
			dst = slices.Insert(dst, in.at, in.b...)
		}
	}
	return dst
}

// branchHash stands for what RFC 3261 §17.2.3 matches an RFC 2543 request
// to its transaction by: Request-URI, From tag, Call-ID, CSeq number and the
// top Via. The CSeq method is left out so that CANCEL and ACK get the
// INVITE's branch (§9.2, §17.2.3; sipgo adds the method itself), and so is
// the To tag: the ACK for a non-2xx carries our response's To tag, not the
// INVITE's.
func branchHash(dst, start, fromTag []byte, callID, seq, topVia span) fnv64 {
	var h fnv64
	uri := start
	if i := bytes.IndexByte(uri, ' '); i >= 0 {
		uri = uri[i+1:]
	}
	if i := bytes.LastIndexByte(uri, ' '); i >= 0 {
		uri = uri[:i]
	}
	h.add(uri)
	h.add(fromTag)
	h.add(dst[callID.start:callID.end])
	n := dst[seq.start:seq.end]
	if i := bytes.IndexByte(n, ' '); i >= 0 {
		n = n[:i]
	}
	h.add(bytes.TrimLeft(n, "0"))
	v := dst[topVia.start:topVia.end]
	if i := topComma(v); i >= 0 {
		v = v[:i]
	}
	h.add(v)
	return h
}

// unclosed reports whether v ends inside a quoted string or <...>.
func unclosed(v []byte) bool {
	_, open := topLevel(v)
	return open
}

// topComma is the index of the first comma outside quoted strings and
// <...> in a canonical value, or -1.
func topComma(v []byte) int {
	i, _ := topLevel(v)
	return i
}

// topLevel scans v outside quoted strings and <...>: the index of the first
// comma there (-1 for none), and whether v ends inside either.
func topLevel(v []byte) (comma int, open bool) {
	comma = -1
	quoted, escaped, angle := false, false, false
	for i, c := range v {
		switch {
		case quoted:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				quoted = false
			}
		case angle:
			angle = c != '>'
		case c == '"':
			quoted = true
		case c == '<':
			angle = true
		case c == ',' && comma < 0:
			comma = i
		}
	}
	return comma, quoted || angle
}

// fnv64 is FNV-1a (64 bit) over fields, each ended by a byte no header
// value holds.
type fnv64 uint64

func (h *fnv64) add(b []byte) {
	if *h == 0 {
		*h = 14695981039346656037
	}
	for _, c := range b {
		*h ^= fnv64(c)
		*h *= 1099511628211
	}
	*h ^= 0xff
	*h *= 1099511628211
}

// hex writes the hash as hashLen lowercase hex digits.
func (h fnv64) hex(b []byte) int {
	const digits = "0123456789abcdef"
	for i := hashLen - 1; i >= 0; i-- {
		b[i] = digits[h&0xf]
		h >>= 4
	}
	return hashLen
}

// restore takes the branch and From tag compat made up back out of a
// message we send, so that an RFC 2543 peer gets its Via and From as it
// sent them (RFC 3261 §8.2.6.2) and our requests to it carry no To tag for
// its null one (§12.1.1, §12.2.1.1). It returns p itself when there is
// nothing to take out.
func restore(p []byte) []byte {
	end := bytes.Index(p, crlf2)
	if end < 0 || !bytes.Contains(p[:end], compatMarkB) {
		return p
	}
	out := make([]byte, 0, len(p))
	head := p[:end]
	for {
		i, n := -1, 0
		if j := bytes.Index(head, compatBranch); j >= 0 {
			i, n = j, len(compatBranch)
		}
		if j := bytes.Index(head, compatTag); j >= 0 && (i < 0 || j < i) {
			i, n = j, len(compatTag)
		}
		if i < 0 || len(head)-i-n < hashLen {
			break
		}
		out = append(out, head[:i]...)
		head = head[i+n+hashLen:]
	}
	out = append(out, head...)
	return append(out, p[end:]...)
}

// compatConn is the UDP socket as sipgo writes to it: every datagram goes
// through restore.
type compatConn struct{ net.PacketConn }

func (c compatConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if _, err := c.PacketConn.WriteTo(restore(p), addr); err != nil {
		return 0, err
	}
	return len(p), nil
}
