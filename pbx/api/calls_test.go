package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/hal/sim"
	"github.com/hookswitch/hookswitch/pbx"
	"github.com/hookswitch/hookswitch/pbx/api"
	"github.com/hookswitch/hookswitch/pbx/cdr"
	"github.com/hookswitch/hookswitch/pbx/config"
	"github.com/hookswitch/hookswitch/pbx/core"
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

// serveCDR runs a PBX with the call log in dir behind the API.
func serveCDR(t *testing.T, dir string) (*httptest.Server, *sim.Board) {
	t.Helper()
	b, err := sim.New(sim.Options{Ports: 4, Country: "us", Realtime: true})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	p, err := pbx.New(config.Default(), b, log)
	if err != nil {
		t.Fatal(err)
	}
	st, err := cdr.Open(dir, cdr.Options{}, log)
	if err != nil {
		t.Fatal(err)
	}
	p.UseCDR(st)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		if err := st.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	mux := http.NewServeMux()
	api.Register(mux, p, "test", time.Now())
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s, b
}

// TestCDRFromTheLog: with a call log, /cdr lists what an earlier run
// recorded, in the API's JSON shape, filtered by ?limit and ?since; the
// next call is numbered after them and listed first.
func TestCDRFromTheLog(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	st, err := cdr.Open(dir, cdr.Options{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for id := uint64(1); id <= 5; id++ {
		ended := t0.Add(time.Duration(id) * time.Minute)
		r := core.Record{ID: id, From: core.Party{Number: "100", Name: "Alice Analog"}, To: "200", State: "ended",
			Started: ended.Add(-time.Minute), Answered: ended.Add(-30 * time.Second), Ended: ended, Cause: "normal",
			A: core.Leg{Channel: "fxs/1"}, B: core.Leg{Channel: "sip/200", Media: &core.MediaStats{Codec: "PCMU",
				Remote: "192.0.2.7:4000", PacketsReceived: 1500, Lost: 3, Jitter: 1250 * time.Microsecond, MOS: 4.4}}}
		st.Add(r)
	}
	if err := st.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	s, b := serveCDR(t, dir)
	for _, c := range []struct {
		query string
		want  []uint64
	}{
		{"", []uint64{5, 4, 3, 2, 1}},
		{"?limit=2", []uint64{5, 4}},
		{"?since=2025-03-01T09:03:00Z", []uint64{5, 4, 3}},
		{"?since=2025-03-01T10:03:00%2B01:00&limit=1", []uint64{5}},
		{"?since=2025-03-01T09:02:59.5Z", []uint64{5, 4, 3}},
		{"?since=2025-03-02T00:00:00Z", []uint64{}},
	} {
		var got callList
		if code := get(t, s.URL+"/api/v1/cdr"+c.query, &got); code != 200 {
			t.Errorf("%s: %d", c.query, code)
		}
		ids := []uint64{}
		for _, k := range got.Calls {
			ids = append(ids, k.ID)
		}
		if !slices.Equal(ids, c.want) {
			t.Errorf("%q: calls %v, want %v", c.query, ids, c.want)
		}
	}
	for _, q := range []string{"since=yesterday", "since=2025-03-01", "limit=-1"} {
		var e map[string]string
		if code := get(t, s.URL+"/api/v1/cdr?"+q, &e); code != 400 || e["error"] == "" {
			t.Errorf("?%s: %d %v", q, code, e)
		}
	}

	// The contract: field names as before the log existed.
	var raw struct {
		Calls []map[string]any `json:"calls"`
	}
	get(t, s.URL+"/api/v1/cdr?limit=1", &raw)
	k := raw.Calls[0]
	if k["id"] != 5.0 || k["from"] != "100" || k["from_name"] != "Alice Analog" || k["to"] != "200" || k["a"] != "fxs/1" ||
		k["b"] != "sip/200" || k["state"] != "ended" || k["cause"] != "normal" || k["talk_s"] != 30.0 ||
		k["started"] != "2025-03-01T09:04:00Z" || k["ended"] != "2025-03-01T09:05:00Z" {
		t.Errorf("record %v", k)
	}
	legs, _ := k["legs"].([]any)
	if len(legs) != 2 {
		t.Fatalf("legs %v", k["legs"])
	}
	m, _ := legs[1].(map[string]any)["media"].(map[string]any)
	if m["codec"] != "PCMU" || m["jitter_ms"] != 1.25 || m["lost"] != 3.0 || m["packets_received"] != 1500.0 || m["mos"] != 4.4 {
		t.Errorf("media %v", m)
	}

	// A call now is number 6, listed first.
	a, c := b.Phone(1), b.Phone(2)
	a.OffHook()
	time.Sleep(300 * time.Millisecond)
	if err := a.DialDTMF("101"); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(10 * time.Second); !c.Status().Ringing; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("port 2 does not ring")
		}
	}
	c.OffHook()
	time.Sleep(300 * time.Millisecond)
	a.OnHook()
	var got callList
	for end := time.Now().Add(10 * time.Second); len(got.Calls) < 6; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("the call is not in the CDR: %+v", got)
		}
		get(t, s.URL+"/api/v1/cdr", &got)
	}
	if n := got.Calls[0]; n.ID != 6 || n.A != "fxs/1" || n.B != "fxs/2" || n.Cause != "normal" {
		t.Errorf("new call %+v", n)
	}
}
