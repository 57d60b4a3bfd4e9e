package config

import (
	"strings"
	"testing"
	"time"
)

func TestIssueConfigs(t *testing.T) {
	c, err := Load("../../testdata/config/foundation.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Country != "us" || c.Board != "sim-4fxs" || c.SIP.Listen != "127.0.0.1:5060" || c.HTTP.Listen != "127.0.0.1:8080" {
		t.Errorf("got %+v", c)
	}
	if len(c.Users) != 2 || c.Users[1] != (User{Ext: "101", Name: "Bob Analog", Port: 2}) {
		t.Errorf("users %+v", c.Users)
	}
	c, err = Load("../../testdata/config/sip.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Users[1].Password != "Carol-Secret-200" || c.Trunks[0].Prefix != "9" || c.Trunks[0].Host != "127.0.0.1:5070" {
		t.Errorf("got %+v", c)
	}
}

func TestDefault(t *testing.T) {
	c := Default()
	if len(c.Users) != 4 {
		t.Fatalf("default has %d users", len(c.Users))
	}
	for i, u := range c.Users {
		if u.Port != i+1 || u.Ext != []string{"100", "101", "102", "103"}[i] {
			t.Errorf("user %d = %+v", i, u)
		}
	}
}

func TestFXSDurations(t *testing.T) {
	c, err := Parse("x.yaml", []byte("fxs:\n  flash_max: 300ms\n  inter_digit: 4s\n"))
	if err != nil {
		t.Fatal(err)
	}
	if time.Duration(c.FXS.FlashMax) != 300*time.Millisecond || time.Duration(c.FXS.InterDigit) != 4*time.Second {
		t.Errorf("fxs %+v", c.FXS)
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct {
		name, yaml string
		want       string // substring: file:line: key: message
	}{
		{"unknown top key", "country: us\ncolour: red\n", "bad.yaml:2: colour: unknown key"},
		{"unknown nested key", "sip:\n  listen: 127.0.0.1:5060\n  lisen: x\n", "bad.yaml:3: lisen: unknown key (in sip)"},
		{"country", "country: fr\n", "bad.yaml:1: country: unknown country \"fr\""},
		{"listen", "http:\n  listen: nope\n", "bad.yaml:2: http.listen: \"nope\" is not host:port"},
		{"port type", "users:\n  - ext: \"100\"\n    port: one\n", "bad.yaml:3: "},
		{"dup ext", "users:\n  - ext: \"100\"\n    port: 1\n  - ext: \"100\"\n    port: 2\n", "bad.yaml:4: users[1].ext: extension 100 is already users[0]"},
		{"dup port", "users:\n  - ext: \"100\"\n    port: 1\n  - ext: \"101\"\n    port: 1\n", "bad.yaml:5: users[1].port: port 1 is already"},
		{"no device", "users:\n  - ext: \"100\"\n    name: X\n", "bad.yaml:2: users[0]: user 100 needs a port"},
		{"bad ext", "users:\n  - ext: \"1a\"\n    port: 1\n", "bad.yaml:2: users[0].ext: extension \"1a\""},
		{"duration", "fxs:\n  flash_max: soon\n", "bad.yaml:2: "},
		{"syntax", "users: [\n", "bad.yaml:"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(c.yaml))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
		})
	}
}
