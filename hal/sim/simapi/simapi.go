// Package simapi serves the simulated phones over HTTP, so scripts and people
// can lift handsets, dial, play and listen on a running daemon:
//
//	GET  /api/v1/sim/ports                   every phone's state
//	POST /api/v1/sim/ports/{n}/hook          {"action":"offhook"|"onhook"|"flash","ms":N}
//	POST /api/v1/sim/ports/{n}/dial          {"digits":"101","method":"dtmf"|"pulse"}
//	POST /api/v1/sim/ports/{n}/play          audio/wav body (8 kHz 16-bit mono)
//	GET  /api/v1/sim/ports/{n}/audio?seconds=N   what the earpiece received, as audio/wav
//	GET  /api/v1/sim/ports/{n}/tones         call-progress tones heard and hook changes, with times
package simapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/hookswitch/hookswitch/hal/sim/phone"
	"github.com/hookswitch/hookswitch/hal/sim/wav"
)

// Phones is the simulated board as this API needs it.
type Phones interface {
	Phone(n int) *phone.Phone
	Phones() []*phone.Phone
}

// maxPlay bounds an uploaded recording: 5 minutes of audio.
const maxPlay = 44 + 5*60*8000*2

// Port is one phone in GET /api/v1/sim/ports.
type Port struct {
	Port     int             `json:"port"`
	Hook     string          `json:"hook"`
	Ringing  bool            `json:"ringing"`
	Lamp     bool            `json:"lamp"`
	Heard    string          `json:"heard"`
	CallerID *phone.CallerID `json:"callerid"`
	Cadence  []int64         `json:"ring_cadence_ms"`
	Polarity string          `json:"polarity"`
}

// Register adds the routes to mux.
func Register(mux *http.ServeMux, ph Phones) {
	h := &handler{ph: ph}
	mux.HandleFunc("GET /api/v1/sim/ports", h.ports)
	mux.HandleFunc("GET /api/v1/sim/ports/{n}", h.port)
	mux.HandleFunc("POST /api/v1/sim/ports/{n}/hook", h.hook)
	mux.HandleFunc("POST /api/v1/sim/ports/{n}/dial", h.dial)
	mux.HandleFunc("POST /api/v1/sim/ports/{n}/play", h.play)
	mux.HandleFunc("GET /api/v1/sim/ports/{n}/audio", h.audio)
	mux.HandleFunc("GET /api/v1/sim/ports/{n}/tones", h.tones)
}

type handler struct{ ph Phones }

func status(n int, p *phone.Phone) Port {
	s := p.Status()
	out := Port{Port: n, Hook: s.Hook, Ringing: s.Ringing, Lamp: s.Lamp, Heard: s.Heard, CallerID: s.CallerID,
		Polarity: s.Polarity, Cadence: []int64{}}
	for _, d := range s.Cadence {
		out.Cadence = append(out.Cadence, d.Milliseconds())
	}
	return out
}

func (h *handler) ports(w http.ResponseWriter, _ *http.Request) {
	out := struct {
		Ports []Port `json:"ports"`
	}{Ports: []Port{}}
	for i, p := range h.ph.Phones() {
		out.Ports = append(out.Ports, status(i+1, p))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) phone(w http.ResponseWriter, r *http.Request) (int, *phone.Phone) {
	n, err := strconv.Atoi(r.PathValue("n"))
	var p *phone.Phone
	if err == nil {
		p = h.ph.Phone(n)
	}
	if p == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no port %q (ports 1–%d)", r.PathValue("n"), len(h.ph.Phones())))
		return 0, nil
	}
	return n, p
}

func (h *handler) port(w http.ResponseWriter, r *http.Request) {
	if n, p := h.phone(w, r); p != nil {
		writeJSON(w, http.StatusOK, status(n, p))
	}
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "bad JSON body: "+err.Error())
		return false
	}
	return true
}

func (h *handler) hook(w http.ResponseWriter, r *http.Request) {
	n, p := h.phone(w, r)
	if p == nil {
		return
	}
	var req struct {
		Action string `json:"action"`
		Ms     int    `json:"ms"`
	}
	if !decode(w, r, &req) {
		return
	}
	var err error
	switch req.Action {
	case "offhook":
		p.OffHook()
	case "onhook":
		p.OnHook()
	case "flash":
		err = p.Flash(time.Duration(req.Ms) * time.Millisecond)
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("action %q: want offhook, onhook or flash", req.Action))
		return
	}
	if err != nil {
		writeError(w, http.StatusConflict, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, status(n, p))
}

func (h *handler) dial(w http.ResponseWriter, r *http.Request) {
	n, p := h.phone(w, r)
	if p == nil {
		return
	}
	var req struct {
		Digits string `json:"digits"`
		Method string `json:"method"`
	}
	if !decode(w, r, &req) {
		return
	}
	var err error
	switch req.Method {
	case "dtmf", "":
		err = p.DialDTMF(req.Digits)
	case "pulse":
		err = p.DialPulse(req.Digits)
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("method %q: want dtmf or pulse", req.Method))
		return
	}
	switch {
	case errors.Is(err, phone.ErrBadDigit):
		writeError(w, http.StatusBadRequest, err.Error())
	case err != nil:
		writeError(w, http.StatusConflict, err.Error())
	default:
		writeJSON(w, http.StatusOK, status(n, p))
	}
}

func (h *handler) play(w http.ResponseWriter, r *http.Request) {
	n, p := h.phone(w, r)
	if p == nil {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPlay+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if len(body) > maxPlay {
		writeError(w, http.StatusRequestEntityTooLarge, "recording longer than 5 minutes")
		return
	}
	s, err := wav.Decode(body)
	if err != nil {
		writeError(w, http.StatusUnsupportedMediaType, err.Error())
		return
	}
	p.Play(s)
	writeJSON(w, http.StatusOK, status(n, p))
}

func (h *handler) audio(w http.ResponseWriter, r *http.Request) {
	_, p := h.phone(w, r)
	if p == nil {
		return
	}
	secs := 5.0
	if v := r.URL.Query().Get("seconds"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("seconds=%q: want a positive number", v))
			return
		}
		secs = f
	}
	var b bytes.Buffer
	_ = wav.Encode(&b, p.Recording(time.Duration(secs*float64(time.Second))))
	w.Header().Set("Content-Type", "audio/wav")
	_, _ = w.Write(b.Bytes())
}

func (h *handler) tones(w http.ResponseWriter, r *http.Request) {
	_, p := h.phone(w, r)
	if p == nil {
		return
	}
	type heard struct {
		Tone  string     `json:"tone"`
		Start time.Time  `json:"start"`
		End   *time.Time `json:"end"`
	}
	out := struct {
		Tones []heard     `json:"tones"`
		Hook  []time.Time `json:"hook_changes"`
	}{Tones: []heard{}, Hook: p.HookChanges()}
	for _, t := range p.Tones() {
		hh := heard{Tone: string(t.Tone), Start: t.Start}
		if !t.End.IsZero() {
			e := t.End
			hh.End = &e
		}
		out.Tones = append(out.Tones, hh)
	}
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
