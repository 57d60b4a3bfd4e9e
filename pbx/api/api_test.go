package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/hal/sim"
	"github.com/hookswitch/hookswitch/pbx"
	"github.com/hookswitch/hookswitch/pbx/api"
	"github.com/hookswitch/hookswitch/pbx/config"
)

// server runs a PBX on a real-time simulated board behind the API.
func server(t *testing.T) *httptest.Server {
	t.Helper()
	s, _ := serve(t)
	return s
}

func serve(t *testing.T) (*httptest.Server, *sim.Board) {
	t.Helper()
	b, err := sim.New(sim.Options{Ports: 4, Country: "us", Realtime: true})
	if err != nil {
		t.Fatal(err)
	}
	p, err := pbx.New(config.Default(), b, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	mux := http.NewServeMux()
	api.Register(mux, p, "test", time.Now())
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s, b
}

func get(t *testing.T, url string, out any) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode
}

func TestHealthAndPorts(t *testing.T) {
	s := server(t)
	var h map[string]any
	if code := get(t, s.URL+"/api/v1/health", &h); code != 200 || h["status"] != "ok" || h["ports"] != 4.0 || h["version"] != "test" {
		t.Errorf("health %d %v", code, h)
	}
	var ports struct {
		Ports []api.Port `json:"ports"`
	}
	get(t, s.URL+"/api/v1/ports", &ports)
	if len(ports.Ports) != 4 || ports.Ports[0] != (api.Port{Port: 1, Ext: "100", State: "idle", Hook: "on", Feed: "forward"}) {
		t.Errorf("ports %+v", ports.Ports)
	}
}

func TestMWI(t *testing.T) {
	s := server(t)
	for _, c := range []struct {
		path, body string
		want       int
	}{
		{"/api/v1/ports/2/mwi", `{"on":true}`, 200},
		{"/api/v1/ports/9/mwi", `{"on":true}`, 404},
		{"/api/v1/ports/2/mwi", `{}`, 400},
		{"/api/v1/ports/2/mwi", `{"on":"yes"}`, 400},
	} {
		res, err := http.Post(s.URL+c.path, "application/json", bytes.NewBufferString(c.body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.want {
			t.Errorf("%s %s: %d, want %d", c.path, c.body, res.StatusCode, c.want)
		}
	}
	var ports struct {
		Ports []api.Port `json:"ports"`
	}
	get(t, s.URL+"/api/v1/ports", &ports)
	if !ports.Ports[1].MWI || ports.Ports[0].MWI {
		t.Errorf("mwi flags %+v", ports.Ports)
	}
}
