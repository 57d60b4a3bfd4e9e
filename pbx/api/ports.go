package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

// Installer is the board side of the installer endpoints: probe, port
// health, registers, calibration and line test. The daemon passes the
// opened board's (board.InstallerJSON); pbx itself knows no board.
type Installer interface {
	Probe() any
	Health() any
	Registers(port int) (any, error)
	SetRegister(port int, assign string) (any, error)
	Calibrate(port int) error
	LineTest(port int) (any, error)
	Ring(port, cadences, onMS, offMS int) error
}

// RegisterInstaller adds the installer endpoints to mux:
//
//	GET  /api/v1/chips                  {"chips":[{port, chip, part, spi, chain, irq, state, reason}]}
//	GET  /api/v1/ports/health           {"ports":[{port, state, reason, since, chip, linefeed, hook, irq,
//	                                      alarms, faults, retries, next_retry, measured{battery_v, battery_low_v,
//	                                      loop_v, loop_current_ma}}]}
//	GET  /api/v1/ports/{n}/regs         {"regs":[{space, addr, name, value}]}
//	POST /api/v1/ports/{n}/regs         {"set":"REG=VAL"} → {"reg":{space, addr, name, value}} (read back)
//	POST /api/v1/ports/{n}/calibrate    {}
//	POST /api/v1/ports/{n}/linetest     {"report":{port, chip, measured, hook, leakage, verdict, findings}}
//	POST /api/v1/ports/{n}/ring         {"cadences":3,"on_ms":2000,"off_ms":4000} → {} (rings in the background)
//
// Calibration and the line test take the port out of use for about a second.
func RegisterInstaller(mux *http.ServeMux, in Installer) {
	mux.HandleFunc("GET /api/v1/chips", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"chips": in.Probe()})
	})
	mux.HandleFunc("GET /api/v1/ports/health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"ports": in.Health()})
	})
	mux.HandleFunc("GET /api/v1/ports/{n}/regs", portCall(func(n int, r *http.Request) (string, any, error) {
		v, err := in.Registers(n)
		return "regs", v, err
	}))
	mux.HandleFunc("POST /api/v1/ports/{n}/regs", portCall(func(n int, r *http.Request) (string, any, error) {
		var req struct {
			Set string `json:"set"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Set == "" {
			return "", nil, errBadRequest
		}
		v, err := in.SetRegister(n, req.Set)
		return "reg", v, err
	}))
	mux.HandleFunc("POST /api/v1/ports/{n}/calibrate", portCall(func(n int, r *http.Request) (string, any, error) {
		return "", nil, in.Calibrate(n)
	}))
	mux.HandleFunc("POST /api/v1/ports/{n}/ring", portCall(func(n int, r *http.Request) (string, any, error) {
		req := struct {
			Cadences int `json:"cadences"`
			OnMS     int `json:"on_ms"`
			OffMS    int `json:"off_ms"`
		}{3, 2000, 4000}
		if r.ContentLength != 0 {
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
				return "", nil, errBadRing
			}
		}
		if req.Cadences < 1 || req.Cadences > 20 || req.OnMS < 100 || req.OffMS < 100 {
			return "", nil, errBadRing
		}
		return "", nil, in.Ring(n, req.Cadences, req.OnMS, req.OffMS)
	}))
	mux.HandleFunc("POST /api/v1/ports/{n}/linetest", portCall(func(n int, r *http.Request) (string, any, error) {
		v, err := in.LineTest(n)
		return "report", v, err
	}))
}

var (
	errBadRequest = errors.New(`body must be {"set":"REG=VAL"}`)
	errBadRing    = errors.New(`body must be {"cadences":1..20,"on_ms":≥100,"off_ms":≥100}`)
)

// portCall parses {n} and answers with {key: value}, or the error.
func portCall(fn func(n int, r *http.Request) (string, any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.PathValue("n"))
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "port must be a number from 1")
			return
		}
		key, v, err := fn(n, r)
		switch {
		case errors.Is(err, errBadRequest), errors.Is(err, errBadRing):
			writeError(w, http.StatusBadRequest, err.Error())
		case err != nil:
			writeError(w, http.StatusUnprocessableEntity, err.Error())
		case key == "":
			writeJSON(w, http.StatusOK, map[string]any{})
		default:
			writeJSON(w, http.StatusOK, map[string]any{key: v})
		}
	}
}
