package trunk

import (
	"strings"

	"github.com/emiago/sipgo/sip"

	"github.com/hookswitch/hookswitch/pbx/core"
	pbxsip "github.com/hookswitch/hookswitch/pbx/sip"
)

// Presentation is how the caller of an outside call is shown to the provider.
type Presentation struct {
	// Number is presented as the caller (From user, P-Preferred-Identity);
	// it is usually the account's main number.
	Number string
	// Name is the caller's display name: the extension's user name.
	Name string
	// Withheld asks the provider not to show the caller (RFC 3323 §4.2
	// Privacy: id); the number still goes in P-Preferred-Identity so that
	// the provider knows who pays (RFC 3325 §9.3).
	Withheld bool
}

// fromHeaders returns the From of an outgoing INVITE and the identity
// headers that go with it, for an account at domain.
func (p Presentation) fromHeaders(domain string) (*sip.FromHeader, []sip.Header) {
	number := pbxsip.SafeUser(p.Number)
	pref := sip.NewHeader("P-Preferred-Identity", "<sip:"+number+"@"+domain+">")
	from := &sip.FromHeader{Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	if p.Withheld {
		// RFC 3323 §4.1.1.3: an anonymous From.
		from.DisplayName = "Anonymous"
		from.Address = sip.Uri{Scheme: "sip", User: "anonymous", Host: "anonymous.invalid"}
		return from, []sip.Header{pref, sip.NewHeader("Privacy", "id")}
	}
	from.DisplayName = pbxsip.SafeDisplay(p.Name)
	from.Address = sip.Uri{Scheme: "sip", User: number, Host: domain}
	return from, []sip.Header{pref}
}

// Caller is who calls in from the provider: the asserted identity when the
// provider gives one (RFC 3325 §9.1), else From. A caller who withholds
// their identity (RFC 3323 Privacy: id, or an anonymous URI) is shown as
// unknown.
func Caller(req *sip.Request) core.Party {
	for _, h := range req.GetHeaders("Privacy") {
		for _, v := range strings.Split(h.Value(), ";") {
			if strings.EqualFold(strings.TrimSpace(v), "id") {
				return core.Party{}
			}
		}
	}
	var p core.Party
	if h := req.GetHeader("P-Asserted-Identity"); h != nil {
		var addr sip.Uri
		name, err := parseNameAddr(h.Value(), &addr)
		if err == nil {
			p = core.Party{Number: addr.User, Name: name}
		}
	}
	if p.Number == "" {
		f := req.From()
		p = core.Party{Number: f.Address.User, Name: f.DisplayName}
		if strings.EqualFold(f.Address.Host, "anonymous.invalid") {
			return core.Party{}
		}
	}
	if strings.EqualFold(p.Number, "anonymous") {
		return core.Party{}
	}
	p.Number = numberOnly(p.Number)
	p.Name = pbxsip.SafeDisplay(p.Name)
	return p
}

// parseNameAddr reads the first `"Name" <uri>` (or bare uri) of a header value.
func parseNameAddr(v string, uri *sip.Uri) (string, error) {
	v, _, _ = strings.Cut(v, ",")
	v = strings.TrimSpace(v)
	name := ""
	if i := strings.IndexByte(v, '<'); i >= 0 {
		name = strings.Trim(strings.TrimSpace(v[:i]), `"`)
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			return "", errBadAddr
		}
		v = v[i+1 : i+j]
	}
	return name, sip.ParseUri(v, uri)
}

// Route picks the extension for a call from the provider: the number called
// (the Request-URI, or To when the provider puts the DID there) looked up
// in the DID table, else the default extension. ok is false when neither
// gives one.
func Route(req *sip.Request, did map[string]string, fallback string) (ext string, ok bool) {
	for _, n := range []string{req.Recipient.User, req.To().Address.User} {
		if n == "" {
			continue
		}
		if ext, ok := did[n]; ok {
			return ext, true
		}
		if ext, ok := did[strings.TrimPrefix(n, "+")]; ok {
			return ext, true
		}
	}
	return fallback, fallback != ""
}

// numberOnly keeps what an analog caller-ID display can show of a number:
// digits, and a leading +.
func numberOnly(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' || c == '+' && len(out) == 0 {
			out = append(out, c)
		}
	}
	return string(out)
}
