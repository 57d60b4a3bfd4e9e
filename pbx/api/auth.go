package api

import (
	"crypto/subtle"
	"net/http"
)

// AdminUser is the user name the management API accepts with the unit's
// admin password.
const AdminUser = "admin"

// RequireAdmin wraps the API so that every request but the health check
// needs HTTP Basic credentials admin:password. An empty password (a
// development run without provisioned secrets) leaves the API open.
func RequireAdmin(next http.Handler, password string) http.Handler {
	if password == "" {
		return next
	}
	want := []byte(password)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/api/v1/health" {
			next.ServeHTTP(w, r)
			return
		}
		user, pass, ok := r.BasicAuth()
		if !ok || user != AdminUser || subtle.ConstantTimeCompare([]byte(pass), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="hookswitch", charset="UTF-8"`)
			writeError(w, http.StatusUnauthorized, "the admin password is required")
			return
		}
		next.ServeHTTP(w, r)
	})
}
