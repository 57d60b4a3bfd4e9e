package spisim

import (
	"sync"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/spi"
)

// Transaction is one Tx or TxPackets call: its chip-select frames as sent
// (W) and as read back (R).
type Transaction struct {
	W, R [][]byte
}

// Recorder wraps a spi.Conn and records every transaction, for golden
// traces and transaction counts.
type Recorder struct {
	spi.Conn
	mu  sync.Mutex
	log []Transaction
	off bool
}

var _ spi.Conn = (*Recorder)(nil)

// NewRecorder records the transactions on c.
func NewRecorder(c spi.Conn) *Recorder { return &Recorder{Conn: c} }

// Pause stops (true) or resumes (false) recording.
func (r *Recorder) Pause(p bool) {
	r.mu.Lock()
	r.off = p
	r.mu.Unlock()
}

// Log returns the recorded transactions.
func (r *Recorder) Log() []Transaction {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Transaction(nil), r.log...)
}

// Reset forgets the recorded transactions.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.log = nil
	r.mu.Unlock()
}

// Tx records one frame.
func (r *Recorder) Tx(w, rd []byte) error {
	err := r.Conn.Tx(w, rd)
	if err == nil {
		r.add(Transaction{W: [][]byte{clone(w)}, R: [][]byte{clone(rd)}})
	}
	return err
}

// TxPackets records the packets' frames.
func (r *Recorder) TxPackets(p []spi.Packet) error {
	err := r.Conn.TxPackets(p)
	if err == nil {
		var t Transaction
		for _, pk := range p {
			t.W = append(t.W, clone(pk.W))
			t.R = append(t.R, clone(pk.R))
		}
		r.add(t)
	}
	return err
}

// Duplex passes through.
func (r *Recorder) Duplex() conn.Duplex { return r.Conn.Duplex() }

func (r *Recorder) add(t Transaction) {
	r.mu.Lock()
	if !r.off {
		r.log = append(r.log, t)
	}
	r.mu.Unlock()
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }
