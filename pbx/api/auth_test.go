package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hookswitch/hookswitch/pbx/api"
)

func TestRequireAdmin(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	s := httptest.NewServer(api.RequireAdmin(ok, "s3cret"))
	defer s.Close()
	for _, c := range []struct {
		method, path, user, pass string
		want                     int
	}{
		{"GET", "/api/v1/health", "", "", 204},
		{"GET", "/api/v1/ports", "", "", 401},
		{"GET", "/api/v1/ports", "admin", "wrong", 401},
		{"GET", "/api/v1/ports", "root", "s3cret", 401},
		{"GET", "/api/v1/ports", "admin", "s3cret", 204},
		{"POST", "/api/v1/health", "", "", 401},
	} {
		req, _ := http.NewRequest(c.method, s.URL+c.path, nil)
		if c.user != "" {
			req.SetBasicAuth(c.user, c.pass)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.want {
			t.Errorf("%s %s as %q: %d, want %d", c.method, c.path, c.user, res.StatusCode, c.want)
		}
		if res.StatusCode == 401 && res.Header.Get("WWW-Authenticate") == "" {
			t.Error("401 without a challenge")
		}
	}
	open := httptest.NewServer(api.RequireAdmin(ok, ""))
	defer open.Close()
	if res, err := http.Get(open.URL + "/api/v1/ports"); err != nil || res.StatusCode != 204 {
		t.Errorf("no password: %v %v", err, res.StatusCode)
	}
}
