package sip

import (
	"bytes"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// malformed returns the reply to a datagram that is a request sipgo cannot
// parse: 505 for another SIP version, else 400 (RFC 3261 §21.4.1, §21.5.7;
// RFC 4475 §3.1.2). It returns nil for anything that parses, for responses
// and for datagrams too broken to answer (no Via).
func (s *Server) malformed(data []byte) []byte {
	if len(data) < 4 || bytes.HasPrefix(data, []byte("SIP/")) || len(bytes.Trim(data, "\r\n")) == 0 {
		return nil
	}
	line, rest, _ := bytes.Cut(data, []byte("\n"))
	code, reason := "", ""
	f := strings.Fields(string(line))
	if len(f) == 3 && strings.HasPrefix(strings.ToUpper(f[2]), "SIP/") && strings.ToUpper(f[2]) != "SIP/2.0" {
		// RFC 3261 §21.5.7; sipgo would parse and drop it.
		code, reason = "505", "Version Not Supported"
	} else if _, err := s.parser.ParseSIP(data); err == nil {
		return nil
	} else {
		code, reason = "400", "Bad Request"
		if len(f) == 3 {
			if scheme, _, ok := strings.Cut(f[1], ":"); ok && !strings.EqualFold(scheme, "sip") && !strings.EqualFold(scheme, "sips") &&
				!strings.ContainsAny(scheme, "<>\"") {
				code, reason = "416", "Unsupported URI Scheme" // §8.2.2.1: a URI sipgo cannot read
			}
		}
	}
	var b strings.Builder
	b.WriteString("SIP/2.0 " + code + " " + reason + "\r\n")
	vias := 0
	for _, l := range strings.Split(string(rest), "\n") {
		l = strings.TrimRight(l, "\r")
		if l == "" {
			break
		}
		name, _, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "via", "v":
			vias++
			fallthrough
		case "from", "f", "to", "t", "call-id", "i", "cseq":
			if strings.ContainsAny(l, "\x00") {
				continue
			}
			b.WriteString(l + "\r\n")
		}
	}
	if vias == 0 {
		return nil
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	// data has been through compat: the peer gets its Via and From as sent.
	return restore([]byte(b.String()))
}

// knownOptions are the option tags (RFC 3261 §19.2) we implement.
var knownOptions = map[string]bool{"timer": true, "replaces": true}

// validate checks what sipgo's parser lets through but RFC 3261 §8.2 asks a
// UAS to refuse. It returns 0 when the request may proceed.
func (s *Server) validate(req *sip.Request) (int, string) {
	if req.SipVersion != "SIP/2.0" {
		return sip.StatusVersionNotSupported, "Version Not Supported"
	}
	if req.From() == nil || req.To() == nil || req.CallID() == nil || req.CSeq() == nil || req.Via() == nil {
		return sip.StatusBadRequest, "Missing Required Header"
	}
	for _, h := range []string{"From", "To", "Call-ID", "CSeq", "Max-Forwards", "Content-Length", "Content-Type"} {
		if len(req.GetHeaders(h)) > 1 {
			return sip.StatusBadRequest, "Duplicate " + h
		}
	}
	if !strings.EqualFold(string(req.CSeq().MethodName), string(req.Method)) {
		return sip.StatusBadRequest, "CSeq Method Mismatch"
	}
	if mf := req.MaxForwards(); mf != nil && mf.Val() == 0 && req.Method == sip.INVITE {
		// The B2BUA forwards an INVITE as a new one: refuse it like a proxy
		// (RFC 3261 §16.3 step 3). Other requests end here and are answered
		// (RFC 4475 §3.3.11: an endpoint processes Max-Forwards 0).
		return sip.StatusTooManyHops, "Too Many Hops"
	}
	switch strings.ToLower(req.Recipient.Scheme) {
	case "sip", "sips", "":
	default:
		return 416, "Unsupported URI Scheme" // §8.2.2.1
	}
	if req.Recipient.Headers != nil && req.Recipient.Headers.Length() > 0 {
		return sip.StatusBadRequest, "Headers In Request-URI" // §19.1.1 Table 1
	}
	for _, name := range []string{"Require", "Proxy-Require"} {
		var bad []string
		for _, h := range req.GetHeaders(name) {
			for _, tag := range strings.Split(h.Value(), ",") {
				if tag = strings.ToLower(strings.TrimSpace(tag)); tag != "" && !knownOptions[tag] {
					bad = append(bad, tag)
				}
			}
		}
		if len(bad) > 0 && req.Method != sip.ACK && req.Method != sip.CANCEL {
			return sip.StatusBadExtension, "Bad Extension: " + strings.Join(bad, ",") // §8.2.2.3
		}
	}
	if req.Method == sip.INVITE || req.Method == sip.UPDATE {
		if len(req.Body()) > 0 {
			if _, ok := sdpBody(req); !ok {
				return sip.StatusUnsupportedMediaType, "Unsupported Media Type" // §8.2.3
			}
		}
		if h := req.GetHeader("Accept"); h != nil && !acceptsSDP(h.Value()) {
			return sip.StatusNotAcceptable, "Not Acceptable"
		}
	}
	return 0, ""
}

func acceptsSDP(v string) bool {
	for _, t := range strings.Split(v, ",") {
		t, _, _ = strings.Cut(t, ";")
		switch strings.ToLower(strings.TrimSpace(t)) {
		case "application/sdp", "application/*", "*/*", "":
			return true
		}
	}
	return false
}

// sdpBody returns the session description of a request or response body:
// the body itself, or the application/sdp part of a multipart/mixed body
// (RFC 5621).
func sdpBody(m interface {
	Body() []byte
	GetHeader(string) sip.Header
}) ([]byte, bool) {
	body := m.Body()
	if len(body) == 0 {
		return nil, true
	}
	ct := ""
	if h := m.GetHeader("Content-Type"); h != nil {
		ct = h.Value()
	}
	typ, params, _ := strings.Cut(ct, ";")
	switch strings.ToLower(strings.TrimSpace(typ)) {
	case "application/sdp":
		return body, true
	case "multipart/mixed":
	default:
		return nil, false
	}
	boundary := ""
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "boundary") {
			boundary = strings.Trim(v, `"`)
		}
	}
	if boundary == "" {
		return nil, false
	}
	for _, part := range bytes.Split(body, []byte("--"+boundary)) {
		hdr, content, ok := bytes.Cut(part, []byte("\r\n\r\n"))
		if !ok {
			continue
		}
		if bytes.Contains(bytes.ToLower(hdr), []byte("application/sdp")) {
			return bytes.TrimRight(content, "\r\n"), true
		}
	}
	return nil, false
}
