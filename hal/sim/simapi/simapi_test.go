package simapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/hal/sim"
	"github.com/hookswitch/hookswitch/hal/sim/simapi"
	"github.com/hookswitch/hookswitch/hal/sim/wav"
)

func server(t *testing.T) (*httptest.Server, *sim.Board) {
	t.Helper()
	b, err := sim.New(sim.Options{Ports: 2, Country: "us"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	simapi.Register(mux, b)
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s, b
}

func do(t *testing.T, s *httptest.Server, method, path, ct string, body []byte) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func TestPortsShape(t *testing.T) {
	s, _ := server(t)
	code, out := do(t, s, "GET", "/api/v1/sim/ports", "", nil)
	if code != 200 {
		t.Fatal(code)
	}
	ports := out["ports"].([]any)
	if len(ports) != 2 {
		t.Fatalf("%d ports", len(ports))
	}
	p := ports[0].(map[string]any)
	for k, want := range map[string]any{"port": 1.0, "hook": "on", "ringing": false, "lamp": false, "heard": "silence", "callerid": nil} {
		if got, ok := p[k]; !ok || got != want {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
}

func TestActionsAndErrors(t *testing.T) {
	s, b := server(t)
	var silence bytes.Buffer
	_ = wav.Encode(&silence, make([]int16, 800))
	for _, c := range []struct {
		name, method, path, ct, body string
		want                         int
	}{
		{"offhook", "POST", "/api/v1/sim/ports/1/hook", "application/json", `{"action":"offhook"}`, 200},
		{"dtmf", "POST", "/api/v1/sim/ports/1/dial", "application/json", `{"digits":"101","method":"dtmf"}`, 200},
		{"pulse", "POST", "/api/v1/sim/ports/1/dial", "application/json", `{"digits":"2","method":"pulse"}`, 200},
		{"flash", "POST", "/api/v1/sim/ports/1/hook", "application/json", `{"action":"flash","ms":100}`, 200},
		{"play", "POST", "/api/v1/sim/ports/1/play", "audio/wav", silence.String(), 200},
		{"no such port", "POST", "/api/v1/sim/ports/9/hook", "application/json", `{"action":"offhook"}`, 404},
		{"port not a number", "GET", "/api/v1/sim/ports/x", "", "", 404},
		{"bad action", "POST", "/api/v1/sim/ports/1/hook", "application/json", `{"action":"jump"}`, 400},
		{"bad json", "POST", "/api/v1/sim/ports/1/hook", "application/json", `{"action":`, 400},
		{"unknown field", "POST", "/api/v1/sim/ports/1/hook", "application/json", `{"act":"offhook"}`, 400},
		{"bad digit", "POST", "/api/v1/sim/ports/1/dial", "application/json", `{"digits":"1x"}`, 400},
		{"pulse star", "POST", "/api/v1/sim/ports/1/dial", "application/json", `{"digits":"*","method":"pulse"}`, 400},
		{"bad method", "POST", "/api/v1/sim/ports/1/dial", "application/json", `{"digits":"1","method":"morse"}`, 400},
		{"dial on-hook", "POST", "/api/v1/sim/ports/2/dial", "application/json", `{"digits":"1"}`, 409},
		{"flash on-hook", "POST", "/api/v1/sim/ports/2/hook", "application/json", `{"action":"flash"}`, 409},
		{"not a wav", "POST", "/api/v1/sim/ports/1/play", "audio/wav", "hello", 415},
		{"bad seconds", "GET", "/api/v1/sim/ports/1/audio?seconds=-1", "", "", 400},
	} {
		code, out := do(t, s, c.method, c.path, c.ct, []byte(c.body))
		if code != c.want {
			t.Errorf("%s: %d %v, want %d", c.name, code, out, c.want)
		}
		if code >= 400 && out["error"] == "" {
			t.Errorf("%s: no error message", c.name)
		}
	}
	// The actions are queued for the board's next frame.
	tx, rx := make([]hal.Frame, 2), make([]hal.Frame, 2)
	_, _ = b.Tick(tx, rx)
	if st := b.Phone(1).Status(); st.Hook != "off" {
		t.Errorf("port 1 is %s-hook after offhook", st.Hook)
	}
}

func TestAudioIsWAV(t *testing.T) {
	s, b := server(t)
	tx, rx := make([]hal.Frame, 2), make([]hal.Frame, 2)
	for i := range tx[0] {
		tx[0][i] = 1000
	}
	b.Lines()[0].SetFeed(hal.FeedOHT)
	for range 50 {
		_, _ = b.Tick(tx, rx)
	}
	res, err := http.Get(s.URL + "/api/v1/sim/ports/1/audio?seconds=0.5")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(res.Body)
	samples, err := wav.Decode(buf.Bytes())
	if err != nil || res.Header.Get("Content-Type") != "audio/wav" {
		t.Fatalf("%v %s", err, res.Header.Get("Content-Type"))
	}
	if len(samples) != 4000 || samples[0] != 1000 || samples[3999] != 1000 {
		t.Errorf("%d samples", len(samples))
	}
}
