package config

import (
	"strings"
	"testing"
	"time"
)

// issueConfig is the configuration issue 4 asks to load as written.
const issueConfig = `country: us
board: sim-4fxs
sip:
  listen: 127.0.0.1:5060
http:
  listen: 127.0.0.1:8080
users:
  - ext: "100"
    name: Alice Analog
    port: 1
  - ext: "200"
    name: Carol Desk
    password: "Carol-Secret-200"
trunks:
  - name: provider
    host: 127.0.0.1:5070
    username: "4930123456"
    password: "trunk-secret"
    prefix: "9"
`

func TestTrunkKeys(t *testing.T) {
	c, err := Parse("issue.yaml", []byte(issueConfig))
	if err != nil {
		t.Fatal(err)
	}
	tr := c.Trunks[0]
	if tr.Name != "provider" || tr.Host != "127.0.0.1:5070" || tr.Username != "4930123456" || tr.Prefix != "9" || !tr.Registers() {
		t.Errorf("trunk %+v", tr)
	}
	more := issueConfig + `    register: false
    expiry: 5m
    did: {"4930123456": "100", "4930123457": "200"}
    inbound: "100"
    caller_id: "4930123400"
    privacy: true
    listen: 127.0.0.1:5080
`
	if c, err = Parse("more.yaml", []byte(more)); err != nil {
		t.Fatal(err)
	}
	tr = c.Trunks[0]
	if tr.Registers() || time.Duration(tr.Expiry) != 5*time.Minute || tr.DID["4930123457"] != "200" || tr.Inbound != "100" ||
		tr.CallerID != "4930123400" || !tr.Privacy || tr.Listen != "127.0.0.1:5080" {
		t.Errorf("trunk %+v", tr)
	}
}

func TestTrunkErrors(t *testing.T) {
	for _, tc := range []struct{ extra, want string }{
		{"    prefix2: x\n", "unknown key"},
		{"    did: {\"4930\": \"555\"}\n", "bad.yaml:20: trunks[0].did: number 4930 goes to extension 555, which is not a user"},
		{"    inbound: \"555\"\n", "trunks[0].inbound: extension 555 is not a user"},
		{"    listen: nowhere\n", "trunks[0].listen: \"nowhere\" is not host:port"},
		{"  - name: provider\n    host: 10.0.0.1\n", "trunks[1].name: trunk provider is already trunks[0]"},
	} {
		_, err := Parse("bad.yaml", []byte(issueConfig+tc.extra))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.extra, err, tc.want)
		}
	}
	bad := strings.Replace(issueConfig, `prefix: "9"`, `prefix: "9a"`, 1)
	if _, err := Parse("bad.yaml", []byte(bad)); err == nil || !strings.Contains(err.Error(), "prefix \"9a\" must be digits") {
		t.Errorf("bad prefix: %v", err)
	}
}

func TestSIPDigest(t *testing.T) {
	c, err := Parse("x.yaml", []byte("sip:\n  digest: [MD5]\n"))
	if err != nil || len(c.SIP.Digest) != 1 || c.SIP.Digest[0] != "MD5" {
		t.Errorf("digest %v %v", c.SIP.Digest, err)
	}
	if _, err := Parse("x.yaml", []byte("sip:\n  digest: [MD5, SHA-1]\n")); err == nil ||
		!strings.Contains(err.Error(), "sip.digest[1]: \"SHA-1\" is not MD5 or SHA-256") {
		t.Errorf("bad algorithm: %v", err)
	}
}
