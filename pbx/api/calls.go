package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/hookswitch/hookswitch/pbx/core"
)

// Call is one call in GET /api/v1/calls and GET /api/v1/cdr: its detail
// record. From, To, A, B and State are the original fields; times are
// RFC 3339, durations seconds, media delays milliseconds.
type Call struct {
	ID       uint64     `json:"id"`
	From     string     `json:"from"`
	FromName string     `json:"from_name,omitempty"`
	To       string     `json:"to"`
	A        string     `json:"a"`
	B        string     `json:"b"`
	State    string     `json:"state"`
	Held     bool       `json:"held,omitempty"`
	Started  time.Time  `json:"started"`
	Answered *time.Time `json:"answered,omitempty"`
	Ended    *time.Time `json:"ended,omitempty"`
	// Talk is the answered time so far (to the end for an ended call), in seconds.
	Talk  float64 `json:"talk_s"`
	Cause string  `json:"cause,omitempty"`
	// Joined are the calls a transfer merged into this one; TransferredTo
	// the call this one's parties moved to.
	Joined        []uint64 `json:"joined,omitempty"`
	TransferredTo uint64   `json:"transferred_to,omitempty"`
	Legs          []Leg    `json:"legs"`
}

// Leg is one side of a call; Media is absent for an analog port.
type Leg struct {
	Side    string `json:"side"` // "a" (caller) or "b" (called)
	Channel string `json:"channel"`
	Media   *Media `json:"media,omitempty"`
}

// Media is a leg's RTP quality (pbx/media Stats): what we received from the
// peer, what we sent, and the peer's RTCP view of what we sent.
type Media struct {
	Codec           string  `json:"codec"`
	Remote          string  `json:"remote"`
	PacketsSent     uint64  `json:"packets_sent"`
	PacketsReceived uint64  `json:"packets_received"`
	Lost            int64   `json:"lost"`
	Late            uint64  `json:"late"`
	Concealed       uint64  `json:"concealed_frames"`
	Jitter          float64 `json:"jitter_ms"`
	MaxJitter       float64 `json:"max_jitter_ms"`
	RTT             float64 `json:"rtt_ms,omitempty"`
	RemoteLost      int32   `json:"remote_lost"`
	RemoteJitter    float64 `json:"remote_jitter_ms"`
	R               float64 `json:"r"`
	MOS             float64 `json:"mos"`
	Latched         bool    `json:"latched,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func callJSON(r core.Record, now time.Time) Call {
	c := Call{ID: r.ID, From: r.From.Number, FromName: r.From.Name, To: r.To, A: r.A.Channel, B: r.B.Channel,
		State: r.State, Held: r.Held, Started: r.Started, Cause: r.Cause, Joined: r.Joined,
		TransferredTo: r.Transferred, Legs: []Leg{}}
	if !r.Answered.IsZero() {
		a := r.Answered
		c.Answered = &a
		end := now
		if !r.Ended.IsZero() {
			end = r.Ended
		}
		c.Talk = end.Sub(a).Seconds()
	}
	if !r.Ended.IsZero() {
		e := r.Ended
		c.Ended = &e
	}
	for i, l := range [2]core.Leg{r.A, r.B} {
		if l.Channel == "" {
			continue
		}
		lj := Leg{Side: [2]string{"a", "b"}[i], Channel: l.Channel}
		if m := l.Media; m != nil {
			lj.Media = &Media{Codec: m.Codec, Remote: m.Remote, PacketsSent: m.PacketsSent, PacketsReceived: m.PacketsReceived,
				Lost: m.Lost, Late: m.Late, Concealed: m.Concealed, Jitter: ms(m.Jitter), MaxJitter: ms(m.MaxJitter),
				RTT: ms(m.RTT), RemoteLost: m.RemoteLost, RemoteJitter: ms(m.RemoteJitter), R: m.R, MOS: m.MOS,
				Latched: m.Latched}
		}
		c.Legs = append(c.Legs, lj)
	}
	return c
}

// calls lists the calls in progress with their live records.
func (s *Server) calls(w http.ResponseWriter, r *http.Request) {
	out := struct {
		Calls []Call `json:"calls"`
	}{Calls: []Call{}}
	err := s.do(r, func() {
		now := s.pbx.Engine.Now()
		for _, c := range s.pbx.Engine.Calls() {
			out.Calls = append(out.Calls, callJSON(c.Record(), now))
		}
	})
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// maxCDR bounds ?limit (the call log keeps a thousand by default).
const maxCDR = 1000

// cdr lists ended calls, newest first: the persisted call log when the PBX
// has one (so the list survives a restart), else the engine's recent ring.
// ?limit=N keeps the first N; ?since=RFC3339 only calls that ended at or
// after that time.
func (s *Server) cdr(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := maxCDR
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "limit must be a positive number")
			return
		}
		limit = min(n, maxCDR)
	}
	var since time.Time
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "since must be an RFC 3339 time like 2025-03-01T09:00:00Z")
			return
		}
		since = t
	}
	out := struct {
		Calls []Call `json:"calls"`
	}{Calls: []Call{}}
	add := func(rec core.Record) {
		if len(out.Calls) < limit && !rec.Ended.Before(since) {
			out.Calls = append(out.Calls, callJSON(rec, rec.Ended))
		}
	}
	if st := s.pbx.CDR; st != nil {
		for _, rec := range st.Recent(limit, since) {
			add(rec)
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	err := s.do(r, func() {
		for _, rec := range s.pbx.Engine.Recent() {
			add(rec)
		}
	})
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, out)
}
