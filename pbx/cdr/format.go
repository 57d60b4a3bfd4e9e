package cdr

import (
	"errors"
	"time"

	"github.com/hookswitch/hookswitch/pbx/core"
)

// version is the line format. A line of another version is skipped on load.
const version = 1

// line is one record on disk. It has its own field names rather than
// core.Record's Go names, so renaming a field in the core cannot quietly
// drop it from old files.
type line struct {
	V           int       `json:"v"`
	ID          uint64    `json:"id"`
	From        string    `json:"from"`
	FromName    string    `json:"from_name,omitempty"`
	To          string    `json:"to"`
	State       string    `json:"state"`
	Started     time.Time `json:"started"`
	Answered    time.Time `json:"answered,omitzero"`
	Ended       time.Time `json:"ended"`
	Cause       string    `json:"cause,omitempty"`
	Joined      []uint64  `json:"joined,omitempty"`
	Transferred uint64    `json:"transferred,omitempty"`
	Held        bool      `json:"held,omitempty"`
	A           leg       `json:"a"`
	B           leg       `json:"b"`
}

type leg struct {
	Channel string `json:"channel,omitempty"`
	Media   *media `json:"media,omitempty"`
}

// media is core.MediaStats; delays in microseconds (what the API shows,
// in milliseconds with three decimals).
type media struct {
	Codec           string  `json:"codec"`
	Remote          string  `json:"remote,omitempty"`
	PacketsSent     uint64  `json:"packets_sent"`
	PacketsReceived uint64  `json:"packets_received"`
	BytesSent       uint64  `json:"bytes_sent"`
	BytesReceived   uint64  `json:"bytes_received"`
	Lost            int64   `json:"lost"`
	Late            uint64  `json:"late"`
	Concealed       uint64  `json:"concealed"`
	Jitter          int64   `json:"jitter_us"`
	MaxJitter       int64   `json:"max_jitter_us"`
	RTT             int64   `json:"rtt_us,omitempty"`
	RemoteLost      int32   `json:"remote_lost"`
	RemoteJitter    int64   `json:"remote_jitter_us"`
	R               float64 `json:"r"`
	MOS             float64 `json:"mos"`
	Latched         bool    `json:"latched,omitempty"`
	DigitsSent      uint64  `json:"digits_sent,omitempty"`
	DigitsReceived  uint64  `json:"digits_received,omitempty"`
}

// fill makes l the line of r. The media structs are l's own, reused, so
// the writer allocates nothing per record for them.
func (l *line) fill(r *core.Record, ma, mb *media) {
	*l = line{V: version, ID: r.ID, From: r.From.Number, FromName: r.From.Name, To: r.To, State: r.State,
		Started: r.Started, Answered: r.Answered, Ended: r.Ended, Cause: r.Cause, Joined: r.Joined,
		Transferred: r.Transferred, Held: r.Held,
		A: leg{Channel: r.A.Channel, Media: mediaOf(r.A.Media, ma)},
		B: leg{Channel: r.B.Channel, Media: mediaOf(r.B.Media, mb)}}
}

func us(d time.Duration) int64 { return d.Microseconds() }

func mediaOf(s *core.MediaStats, m *media) *media {
	if s == nil {
		return nil
	}
	*m = media{Codec: s.Codec, Remote: s.Remote, PacketsSent: s.PacketsSent, PacketsReceived: s.PacketsReceived,
		BytesSent: s.BytesSent, BytesReceived: s.BytesReceived, Lost: s.Lost, Late: s.Late, Concealed: s.Concealed,
		Jitter: us(s.Jitter), MaxJitter: us(s.MaxJitter), RTT: us(s.RTT), RemoteLost: s.RemoteLost,
		RemoteJitter: us(s.RemoteJitter), R: s.R, MOS: s.MOS, Latched: s.Latched,
		DigitsSent: s.DigitsSent, DigitsReceived: s.DigitsReceived}
	return m
}

var (
	errVersion = errors.New("unknown format version")
	errNoID    = errors.New("no call id")
)

// record turns a line read back into the core's record.
func (l *line) record() (core.Record, error) {
	switch {
	case l.V != version:
		return core.Record{}, errVersion
	case l.ID == 0:
		return core.Record{}, errNoID
	}
	r := core.Record{ID: l.ID, From: core.Party{Number: l.From, Name: l.FromName}, To: l.To, State: l.State,
		Started: l.Started, Answered: l.Answered, Ended: l.Ended, Cause: l.Cause, Joined: l.Joined,
		Transferred: l.Transferred, Held: l.Held, A: l.A.core(), B: l.B.core()}
	return r, nil
}

func (g leg) core() core.Leg {
	l := core.Leg{Channel: g.Channel}
	if m := g.Media; m != nil {
		l.Media = &core.MediaStats{Codec: m.Codec, Remote: m.Remote, PacketsSent: m.PacketsSent,
			PacketsReceived: m.PacketsReceived, BytesSent: m.BytesSent, BytesReceived: m.BytesReceived, Lost: m.Lost,
			Late: m.Late, Concealed: m.Concealed, Jitter: time.Duration(m.Jitter) * time.Microsecond,
			MaxJitter: time.Duration(m.MaxJitter) * time.Microsecond, RTT: time.Duration(m.RTT) * time.Microsecond,
			RemoteLost: m.RemoteLost, RemoteJitter: time.Duration(m.RemoteJitter) * time.Microsecond, R: m.R,
			MOS: m.MOS, Latched: m.Latched, DigitsSent: m.DigitsSent, DigitsReceived: m.DigitsReceived}
	}
	return l
}
