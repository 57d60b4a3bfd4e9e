package cdr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookswitch/hookswitch/pbx/core"
)

// Defaults of Options.
const (
	// DefaultMaxBytes bounds the log on disk: with two-leg SIP records of
	// about 900 bytes each file holds over 2000 calls, weeks of a small office.
	DefaultMaxBytes = 4 << 20
	// DefaultRecent is how many records the index keeps: what GET
	// /api/v1/cdr can list at most.
	DefaultRecent = 1000
	// DefaultQueue is how many records may wait for the writer. Calls end
	// at human rates; the queue only fills when the disk stalls for long.
	DefaultQueue = 256
)

// The files in the directory: the one being written and the one before.
const (
	currentName  = "cdr.jsonl"
	previousName = "cdr.1.jsonl"
)

// maxLine bounds a line read back; a longer one is garbage and skipped.
const maxLine = 64 << 10

// Options tune a Store; zero values take the defaults.
type Options struct {
	// MaxBytes is the disk the log may take, current and previous file
	// together; each file is rotated before it passes half of it.
	MaxBytes int64
	// Recent is how many of the newest records are loaded at Open and kept
	// in memory for Recent.
	Recent int
	// Queue is how many records may wait for the writer before Add drops.
	Queue int
}

// Stats count what became of the records given to Add.
type Stats struct {
	Written uint64 // written and synced to disk
	Dropped uint64 // not queued: the writer was behind, or the store closed
	Failed  uint64 // the write or sync failed (disk full, I/O error)
}

// Store is the call log of one directory. Add, Recent, LastID and Stats may
// be called from any goroutine.
type Store struct {
	dir      string
	cur      string
	prev     string
	half     int64
	log      *slog.Logger
	q        chan core.Record
	quit     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
	closed   atomic.Bool

	written, dropped, failed atomic.Uint64

	mu     sync.Mutex
	index  ring
	lastID uint64

	w writer // the writer goroutine's own
}

// writer is the state only the writer goroutine touches.
type writer struct {
	f           *os.File // nil when the file could not be reopened
	size        int64    // bytes in f known to be written
	batch       []core.Record
	buf         lineBuf
	enc         *json.Encoder
	ln          line
	ma, mb      media
	failing     bool
	loggedDrops uint64
	closeErr    error
	beforeWrite func() // tests: hold the writer back
}

// lineBuf collects encoded lines; it is the encoder's writer.
type lineBuf []byte

func (b *lineBuf) Write(p []byte) (int, error) {
	*b = append(*b, p...)
	return len(p), nil
}

// Open loads the log in dir (created if missing) and starts its writer.
// Unreadable records are skipped and logged; the error is for a directory
// or file that cannot be created or opened, and then there is no store.
func Open(dir string, opts Options, log *slog.Logger) (*Store, error) {
	return open(dir, opts, log, nil)
}

func open(dir string, opts Options, log *slog.Logger, beforeWrite func()) (*Store, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.Recent <= 0 {
		opts.Recent = DefaultRecent
	}
	if opts.Queue <= 0 {
		opts.Queue = DefaultQueue
	}
	s := &Store{dir: dir, cur: filepath.Join(dir, currentName), prev: filepath.Join(dir, previousName),
		half: opts.MaxBytes / 2, log: log, q: make(chan core.Record, opts.Queue),
		quit: make(chan struct{}), done: make(chan struct{}),
		index: ring{recs: make([]core.Record, 0, opts.Recent), max: opts.Recent}}
	s.w.batch = make([]core.Record, 0, opts.Queue)
	s.w.buf = make(lineBuf, 0, 4096)
	s.w.enc = json.NewEncoder(&s.w.buf)
	s.w.beforeWrite = beforeWrite
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("cdr: call log directory %s: %w", dir, err)
	}
	if _, _, err := s.load(s.prev); err != nil {
		log.Warn("cdr: previous call log unreadable, skipped", "file", s.prev, "err", err)
	}
	size, end, err := s.load(s.cur)
	if err != nil {
		// Appending after a part we could not read would bury it: start a
		// new file and keep the damaged one as the previous.
		log.Warn("cdr: call log unreadable, starting a new one", "file", s.cur, "err", err)
		if err := os.Rename(s.cur, s.prev); err != nil {
			return nil, fmt.Errorf("cdr: %w", err)
		}
		size, end = 0, 0
	}
	f, err := os.OpenFile(s.cur, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("cdr: %w", err)
	}
	if end < size {
		// A torn last line (a power cut mid-write): cut it, so the next
		// record starts on a line of its own.
		if err := f.Truncate(end); err != nil {
			f.Close()
			return nil, fmt.Errorf("cdr: cutting the torn end of %s: %w", s.cur, err)
		}
		log.Warn("cdr: cut a torn record at the end of the call log", "file", s.cur, "bytes", size-end)
	}
	syncDir(dir)
	s.w.f, s.w.size = f, end
	go s.run()
	return s, nil
}

// Add files r: in the index at once, and on disk by the writer. It never
// blocks: when the writer's queue is full the record is only counted as
// dropped (it stays in the index). It is the engine's core.Sink.
func (s *Store) Add(r core.Record) {
	s.mu.Lock()
	s.index.push(r)
	s.lastID = max(s.lastID, r.ID)
	s.mu.Unlock()
	if s.closed.Load() {
		s.dropped.Add(1)
		return
	}
	select {
	case s.q <- r:
	default:
		s.dropped.Add(1)
	}
}

var _ core.Sink = (*Store)(nil)

// Recent returns up to limit records of calls that ended at or after since
// (zero: any), newest first.
func (s *Store) Recent(limit int, since time.Time) []core.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.index.recs)
	out := make([]core.Record, 0, max(min(limit, n), 0))
	for i := 0; i < n && len(out) < limit; i++ {
		r := s.index.newest(i)
		if !since.IsZero() && r.Ended.Before(since) {
			continue
		}
		out = append(out, *r)
	}
	return out
}

// LastID is the highest call ID in the log (as loaded and added since), so
// the engine can number new calls after it.
func (s *Store) LastID() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastID
}

// Stats returns the counts so far.
func (s *Store) Stats() Stats {
	return Stats{Written: s.written.Load(), Dropped: s.dropped.Load(), Failed: s.failed.Load()}
}

// Close writes what is queued, syncs and closes the file. Call it after
// the engine has stopped: records added later are dropped. It gives up
// waiting when ctx ends (a disk that hangs).
func (s *Store) Close(ctx context.Context) error {
	s.stopOnce.Do(func() {
		s.closed.Store(true)
		close(s.quit)
	})
	select {
	case <-s.done:
		return s.w.closeErr
	case <-ctx.Done():
		return fmt.Errorf("cdr: flushing the call log: %w", ctx.Err())
	}
}

// run is the writer goroutine: it writes each batch of queued records with
// one write and one fsync.
func (s *Store) run() {
	defer close(s.done)
	for {
		select {
		case r := <-s.q:
			s.w.batch = append(s.w.batch[:0], r)
			s.drain()
			s.write()
		case <-s.quit:
			s.w.batch = s.w.batch[:0]
			s.drain()
			s.write()
			if s.w.f != nil {
				if err := s.w.f.Close(); err != nil {
					s.w.closeErr = fmt.Errorf("cdr: %w", err)
				}
			}
			return
		}
	}
}

// drain takes what else is queued, at most a queue's worth.
func (s *Store) drain() {
	for len(s.w.batch) < cap(s.q)+1 {
		select {
		case r := <-s.q:
			s.w.batch = append(s.w.batch, r)
		default:
			return
		}
	}
}

// write encodes the batch and appends it, rotating before a record would
// take the current file past half the cap.
func (s *Store) write() {
	w := &s.w
	if len(w.batch) == 0 {
		return
	}
	if w.beforeWrite != nil {
		w.beforeWrite()
	}
	w.buf = w.buf[:0]
	pending := 0
	for i := range w.batch {
		mark := len(w.buf)
		w.ln.fill(&w.batch[i], &w.ma, &w.mb)
		if err := w.enc.Encode(&w.ln); err != nil {
			w.buf = w.buf[:mark]
			s.failed.Add(1)
			s.log.Error("cdr: record not encodable, not written", "call", w.batch[i].ID, "err", err)
			continue
		}
		if w.size+int64(len(w.buf)) > s.half && w.size+int64(mark) > 0 {
			s.flush(w.buf[:mark], pending)
			w.buf = w.buf[:copy(w.buf, w.buf[mark:])]
			pending = 0
			if err := s.rotate(); err != nil {
				w.buf = w.buf[:0]
				s.failed.Add(1)
				s.failure(err)
				continue
			}
		}
		pending++
	}
	s.flush(w.buf, pending)
	clear(w.batch) // the records' slices and media belong to the index now
	w.batch = w.batch[:0]
	if d := s.dropped.Load(); d != w.loggedDrops {
		s.log.Warn("cdr: the writer fell behind, records not written", "dropped", d-w.loggedDrops, "total", d)
		w.loggedDrops = d
	}
}

// flush appends b, n records, and syncs it.
func (s *Store) flush(b []byte, n int) {
	w := &s.w
	if n == 0 {
		return
	}
	if w.f == nil {
		f, err := os.OpenFile(s.cur, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			s.failed.Add(uint64(n))
			s.failure(err)
			return
		}
		w.f, w.size = f, 0
		if st, err := f.Stat(); err == nil {
			w.size = st.Size()
		}
	}
	_, err := w.f.Write(b)
	if err == nil {
		err = w.f.Sync()
	}
	if err != nil {
		s.failed.Add(uint64(n))
		s.failure(err)
		// Cut what part of it got in, so the next record starts a line.
		_ = w.f.Truncate(w.size)
		return
	}
	w.size += int64(len(b))
	s.written.Add(uint64(n))
	if w.failing {
		w.failing = false
		s.log.Info("cdr: the call log is written again", "file", s.cur, "failed", s.failed.Load())
	}
}

// failure logs the first of a run of failures; the rest are counted.
func (s *Store) failure(err error) {
	if !s.w.failing {
		s.w.failing = true
		s.log.Error("cdr: cannot write the call log; records stay in memory until it can", "err", err)
	}
}

// rotate makes the current file the previous one (replacing it) and
// starts a new current file.
func (s *Store) rotate() error {
	w := &s.w
	if w.f != nil {
		if err := w.f.Close(); err != nil {
			s.log.Warn("cdr: closing the call log", "err", err)
		}
		w.f = nil
	}
	if err := os.Rename(s.cur, s.prev); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cdr: rotating: %w", err)
	}
	f, err := os.OpenFile(s.cur, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("cdr: %w", err)
	}
	syncDir(s.dir)
	w.f, w.size = f, 0
	return nil
}

// syncDir makes renames and new files in dir durable. Some filesystems
// refuse to sync a directory; the files themselves are synced anyway.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// ring keeps the newest records, oldest overwritten.
type ring struct {
	recs []core.Record
	next int
	max  int
}

func (r *ring) push(x core.Record) {
	if len(r.recs) < r.max {
		r.recs = append(r.recs, x)
	} else {
		r.recs[r.next] = x
	}
	r.next = (r.next + 1) % r.max
}

// newest returns the i-th newest record (0 the newest).
func (r *ring) newest(i int) *core.Record {
	n := len(r.recs)
	return &r.recs[(r.next-1-i+n)%n]
}
