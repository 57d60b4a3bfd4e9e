// Package api is the management API on http.listen: health, ports, calls and
// message-waiting control. Engine state is read and changed only inside the
// engine goroutine (core.Engine.Do).
package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hookswitch/hookswitch/pbx"
)

// doTimeout bounds how long a request waits for the engine.
const doTimeout = 2 * time.Second

// Server serves the management API of one PBX.
type Server struct {
	pbx     *pbx.PBX
	version string
	started time.Time
}

// Register adds the routes to mux.
func Register(mux *http.ServeMux, p *pbx.PBX, version string, started time.Time) {
	s := &Server{pbx: p, version: version, started: started}
	mux.HandleFunc("GET /api/v1/health", s.health)
	mux.HandleFunc("GET /api/v1/ports", s.ports)
	mux.HandleFunc("GET /api/v1/calls", s.calls)
	mux.HandleFunc("GET /api/v1/cdr", s.cdr)
	mux.HandleFunc("POST /api/v1/ports/{n}/mwi", s.mwi)
}

func (s *Server) do(r *http.Request, fn func()) error {
	ctx, cancel := context.WithTimeout(r.Context(), doTimeout)
	defer cancel()
	return s.pbx.Engine.Do(ctx, fn)
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	var calls, ports int
	err := s.do(r, func() {
		calls = len(s.pbx.Engine.Calls())
		ports = len(s.pbx.Ports.Ports())
	})
	status, code := "ok", http.StatusOK
	if err != nil {
		status, code = "engine not responding", http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]any{
		"status": status, "version": s.version, "uptime_s": int(time.Since(s.started).Seconds()),
		"ports": ports, "calls": calls,
	})
}

// Port is one port in GET /api/v1/ports.
type Port struct {
	Port  int    `json:"port"`
	Ext   string `json:"ext"`
	State string `json:"state"`
	Hook  string `json:"hook"`
	Feed  string `json:"linefeed"`
	MWI   bool   `json:"mwi"`
}

func (s *Server) ports(w http.ResponseWriter, r *http.Request) {
	out := struct {
		Ports []Port `json:"ports"`
	}{Ports: []Port{}}
	err := s.do(r, func() {
		for _, p := range s.pbx.Ports.Ports() {
			hook := "on"
			if p.OffHook() {
				hook = "off"
			}
			out.Ports = append(out.Ports, Port{Port: p.Line().Port(), Ext: p.Number(), State: p.State(),
				Hook: hook, Feed: p.Line().Feed().String(), MWI: p.MWI()})
		}
	})
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) mwi(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil {
		writeError(w, http.StatusNotFound, "no such port")
		return
	}
	var req struct {
		On *bool `json:"on"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<12))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.On == nil {
		writeError(w, http.StatusBadRequest, `body must be {"on": true|false}`)
		return
	}
	found := false
	err = s.do(r, func() {
		if p := s.pbx.Ports.Port(n); p != nil {
			found = true
			p.SetMWI(*req.On)
		}
	})
	switch {
	case err != nil:
		writeError(w, http.StatusServiceUnavailable, err.Error())
	case !found:
		writeError(w, http.StatusNotFound, fmt.Sprintf("no port %d", n))
	default:
		writeJSON(w, http.StatusOK, map[string]any{"port": n, "mwi": *req.On})
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
