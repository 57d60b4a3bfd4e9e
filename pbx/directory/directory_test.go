package directory

import (
	"errors"
	"testing"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/core"
	"github.com/hookswitch/hookswitch/pbx/dialplan"
)

type fakeCh struct{ name string }

func (f *fakeCh) Name() string                         { return f.name }
func (f *fakeCh) Offer(*core.Call, core.Party) error   { return nil }
func (f *fakeCh) Indicate(*core.Call, core.Indication) {}
func (f *fakeCh) Hangup(*core.Call, core.Cause)        {}
func (f *fakeCh) ReadFrame(*hal.Frame)                 {}
func (f *fakeCh) WriteFrame(*hal.Frame)                {}
func (f *fakeCh) SendDigit(byte)                       {}
func (f *fakeCh) Transferred(_, _ *core.Call)          {}

func TestRoute(t *testing.T) {
	d := New([]User{{Ext: "100", Name: "Alice", Port: 1}, {Ext: "200", Name: "Carol", Password: "pw"}, {Ext: "300", Password: "x"}})
	port := &fakeCh{"fxs/1"}
	d.Bind("100", port)
	legs := 0
	d.BindEndpoint("200", func(ext string) (core.Channel, error) {
		legs++
		return &fakeCh{"sip/" + ext}, nil
	})
	d.BindEndpoint("300", func(string) (core.Channel, error) { return nil, errors.New("down") })
	for _, tc := range []struct {
		ext, want string
		err       bool
	}{{"100", "fxs/1", false}, {"200", "sip/200", false}, {"300", "", true}, {"999", "", true}} {
		ch, err := d.Route(dialplan.Entry{Kind: dialplan.Extension, Target: tc.ext})
		if tc.err {
			if !errors.Is(err, core.ErrNoRoute) {
				t.Errorf("%s: err %v, want ErrNoRoute", tc.ext, err)
			}
			continue
		}
		if err != nil || ch.Name() != tc.want {
			t.Errorf("%s: %v %v, want %s", tc.ext, ch, err, tc.want)
		}
	}
	a, _ := d.Route(dialplan.Entry{Kind: dialplan.Extension, Target: "200"})
	b, _ := d.Route(dialplan.Entry{Kind: dialplan.Extension, Target: "200"})
	if a == b || legs != 3 {
		t.Error("a SIP user's calls share a channel")
	}
}

func TestSIPUser(t *testing.T) {
	d := New([]User{{Ext: "100", Name: "Alice", Port: 1}, {Ext: "200", Name: "Carol", Password: "pw"}})
	if pw, name, ok := d.SIPUser("200"); !ok || pw != "pw" || name != "Carol" {
		t.Errorf("200: %q %q %v", pw, name, ok)
	}
	if _, _, ok := d.SIPUser("100"); ok {
		t.Error("analog user is a SIP account")
	}
	if _, _, ok := d.SIPUser("999"); ok {
		t.Error("unknown user found")
	}
	if u := d.SIPUsers(); len(u) != 1 || u[0].Ext != "200" {
		t.Errorf("SIP users %+v", u)
	}
}
