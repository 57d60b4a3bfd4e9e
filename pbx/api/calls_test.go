package api_test

import (
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/pbx/api"
)

type callList struct {
	Calls []api.Call `json:"calls"`
}

// TestCallsAndCDR: a call between ports 1 and 2 appears in /calls with its
// record while it lasts, and in /cdr once it ends.
func TestCallsAndCDR(t *testing.T) {
	s, b := serve(t)

	until := func(what string, cond func() bool) {
		t.Helper()
		for end := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("%s: not within 10 s", what)
			}
		}
	}
	var cdr callList
	if code := get(t, s.URL+"/api/v1/cdr", &cdr); code != 200 || len(cdr.Calls) != 0 {
		t.Fatalf("cdr before any call: %d %+v", code, cdr)
	}
	a, c := b.Phone(1), b.Phone(2)
	a.OffHook()
	time.Sleep(300 * time.Millisecond)
	if err := a.DialDTMF("101"); err != nil {
		t.Fatal(err)
	}
	until("port 2 rings", func() bool { return c.Status().Ringing })
	c.OffHook()
	var calls callList
	until("connected", func() bool {
		get(t, s.URL+"/api/v1/calls", &calls)
		return len(calls.Calls) == 1 && calls.Calls[0].State == "connected"
	})
	k := calls.Calls[0]
	if k.From != "100" || k.FromName != "Alice Analog" || k.To != "101" || k.A != "fxs/1" || k.B != "fxs/2" ||
		k.Answered == nil || k.Ended != nil || len(k.Legs) != 2 || k.Legs[1].Channel != "fxs/2" || k.Legs[0].Media != nil {
		t.Errorf("live call %+v", k)
	}
	time.Sleep(500 * time.Millisecond)
	a.OnHook()
	until("in the CDR", func() bool {
		get(t, s.URL+"/api/v1/cdr?limit=5", &cdr)
		return len(cdr.Calls) == 1
	})
	r := cdr.Calls[0]
	if r.ID != k.ID || r.Cause != "normal" || r.State != "ended" || r.Ended == nil || r.Talk < 0.4 {
		t.Errorf("cdr record %+v", r)
	}
	for _, q := range []string{"limit=0", "limit=x"} {
		var e map[string]string
		if code := get(t, s.URL+"/api/v1/cdr?"+q, &e); code != 400 {
			t.Errorf("?%s: %d %v", q, code, e)
		}
	}
}
