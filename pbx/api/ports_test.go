package api_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookswitch/hookswitch/pbx/api"
)

type fakeInstaller struct{ set string }

func (f *fakeInstaller) Probe() any  { return []map[string]any{{"port": 1, "chip": "Si3215 rev E"}} }
func (f *fakeInstaller) Health() any { return []map[string]any{{"port": 1, "state": "in-service"}} }
func (f *fakeInstaller) Registers(n int) (any, error) {
	if n > 4 {
		return nil, errors.New("no such port")
	}
	return []map[string]any{{"space": "reg", "addr": 64, "value": 0x11}}, nil
}
func (f *fakeInstaller) SetRegister(n int, a string) (any, error) {
	f.set = a
	return map[string]any{"value": 5}, nil
}
func (f *fakeInstaller) Calibrate(int) error       { return nil }
func (f *fakeInstaller) LineTest(int) (any, error) { return map[string]any{"verdict": "ok"}, nil }
func (f *fakeInstaller) Ring(n, c, on, off int) error {
	f.set = fmt.Sprint(n, c, on, off)
	return nil
}

func TestInstallerEndpoints(t *testing.T) {
	f := &fakeInstaller{}
	mux := http.NewServeMux()
	api.RegisterInstaller(mux, f)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, tc := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"GET", "/api/v1/chips", "", 200, `"chip":"Si3215 rev E"`},
		{"GET", "/api/v1/ports/health", "", 200, `"state":"in-service"`},
		{"GET", "/api/v1/ports/2/regs", "", 200, `"addr":64`},
		{"GET", "/api/v1/ports/9/regs", "", 422, "no such port"},
		{"GET", "/api/v1/ports/x/regs", "", 400, "port must be"},
		{"POST", "/api/v1/ports/2/regs", `{"set":"LINEFEED=5"}`, 200, `"reg":{"value":5}`},
		{"POST", "/api/v1/ports/2/regs", `{}`, 400, "REG=VAL"},
		{"POST", "/api/v1/ports/2/calibrate", "", 200, "{}"},
		{"POST", "/api/v1/ports/2/linetest", "", 200, `"verdict":"ok"`},
		{"POST", "/api/v1/ports/2/ring", `{"cadences":0}`, 400, "cadences"},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.code || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, res.StatusCode, b)
		}
	}
	if f.set != "LINEFEED=5" {
		t.Errorf("assignment %q", f.set)
	}
	res, err := http.Post(srv.URL+"/api/v1/ports/3/ring", "application/json", nil)
	if err != nil || res.StatusCode != 200 || f.set != "3 3 2000 4000" {
		t.Errorf("ring with defaults: %v %v %q", res.StatusCode, err, f.set)
	}
}
