package cdr

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/pbx/core"
)

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// rec is call id: ended id minutes after t0; odd calls are SIP with media
// on leg B, every third was answered.
func rec(id uint64) core.Record {
	r := core.Record{ID: id, From: core.Party{Number: "100", Name: "Alice Analog"}, To: "200", State: "ended",
		Started: t0.Add(time.Duration(id) * time.Minute).Add(-40 * time.Second), Ended: t0.Add(time.Duration(id) * time.Minute),
		Cause: "normal", A: core.Leg{Channel: "fxs/1"}, B: core.Leg{Channel: "sip/200"}}
	if id%3 == 0 {
		r.Answered = r.Started.Add(5 * time.Second)
		r.Joined = []uint64{id - 1}
		r.Held = true
	}
	if id%2 == 1 {
		r.B.Media = &core.MediaStats{Codec: "PCMU", Remote: "192.0.2.7:4000", PacketsSent: 1500, PacketsReceived: 1498,
			BytesSent: 258000, BytesReceived: 257656, Lost: 2, Late: 1, Concealed: 3, Jitter: 1250 * time.Microsecond,
			MaxJitter: 4 * time.Millisecond, RTT: 31 * time.Millisecond, RemoteLost: 1, RemoteJitter: 900 * time.Microsecond,
			R: 92.3, MOS: 4.39, Latched: true, DigitsSent: 2, DigitsReceived: 4}
		r.Cause, r.Transferred = "transferred", id+100
	}
	return r
}

func ids(rs []core.Record) []uint64 {
	out := []uint64{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func seq(from, to uint64) []uint64 { // from down to to
	out := []uint64{}
	for i := from; i >= to && i > 0; i-- {
		out = append(out, i)
	}
	return out
}

// logBuf collects a store's log.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuf) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

func mustOpen(t *testing.T, dir string, o Options, l *logBuf) *Store {
	t.Helper()
	if l == nil {
		l = &logBuf{}
	}
	s, err := Open(dir, o, l.logger())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustClose(t *testing.T, s *Store) {
	t.Helper()
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestAppendLoad: records come back after a reopen exactly as added,
// newest first, and the reopened store keeps appending after them.
func TestAppendLoad(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{}, nil)
	var want []core.Record
	for id := uint64(1); id <= 6; id++ {
		s.Add(rec(id))
		want = append([]core.Record{rec(id)}, want...)
	}
	if got := s.Recent(100, time.Time{}); !reflect.DeepEqual(got, want) {
		t.Errorf("before the restart %v, want %v", ids(got), ids(want))
	}
	mustClose(t, s)
	if st := s.Stats(); st != (Stats{Written: 6}) {
		t.Errorf("stats %+v", st)
	}

	s = mustOpen(t, dir, Options{}, nil)
	got := s.Recent(100, time.Time{})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after the restart:\n got %+v\nwant %+v", got, want)
	}
	if s.LastID() != 6 {
		t.Errorf("last id %d", s.LastID())
	}
	s.Add(rec(7))
	mustClose(t, s)
	s = mustOpen(t, dir, Options{Recent: 3}, nil)
	defer mustClose(t, s)
	if got := ids(s.Recent(100, time.Time{})); !reflect.DeepEqual(got, []uint64{7, 6, 5}) {
		t.Errorf("newest 3 after two restarts: %v", got)
	}
	if s.LastID() != 7 {
		t.Errorf("last id %d: counts records beyond the newest 3 too", s.LastID())
	}
}

func TestRecentLimitSince(t *testing.T) {
	s := mustOpen(t, t.TempDir(), Options{Recent: 5}, nil)
	defer mustClose(t, s)
	for id := uint64(1); id <= 8; id++ {
		s.Add(rec(id))
	}
	for _, c := range []struct {
		name  string
		limit int
		since time.Time
		want  []uint64
	}{
		{"all kept", 100, time.Time{}, []uint64{8, 7, 6, 5, 4}},
		{"limit", 2, time.Time{}, []uint64{8, 7}},
		{"since inclusive", 100, t0.Add(6 * time.Minute), []uint64{8, 7, 6}},
		{"since and limit", 1, t0.Add(6 * time.Minute), []uint64{8}},
		{"since after all", 100, t0.Add(time.Hour), []uint64{}},
		{"zero limit", 0, time.Time{}, []uint64{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ids(s.Recent(c.limit, c.since)); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// lineLen is how long rec(id)'s line is.
func lineLen(id uint64) int {
	var ln line
	var ma, mb media
	r := rec(id)
	ln.fill(&r, &ma, &mb)
	b, _ := json.Marshal(&ln)
	return len(b) + 1
}

// TestRotation: the two files never pass the cap, the current one is
// rotated before it passes half of it, the oldest records go, and what
// is left is the newest calls without a gap, across restarts too.
func TestRotation(t *testing.T) {
	const maxBytes = 16 << 10
	longest := max(lineLen(1), lineLen(2), lineLen(3))
	dir := t.TempDir()
	cur, prev := filepath.Join(dir, currentName), filepath.Join(dir, previousName)
	next := uint64(1)
	for round, n := range []int{30, 70, 5, 120} { // restarts between rounds
		s := mustOpen(t, dir, Options{MaxBytes: maxBytes}, nil)
		for range n {
			s.Add(rec(next))
			next++
		}
		mustClose(t, s)
		if st := s.Stats(); st.Written != uint64(n) || st.Dropped != 0 || st.Failed != 0 {
			t.Fatalf("round %d: stats %+v", round, st)
		}
		c := fileSize(t, cur)
		p := int64(0)
		if _, err := os.Stat(prev); err == nil {
			p = fileSize(t, prev)
		}
		if c > maxBytes/2 || p > maxBytes/2 {
			t.Errorf("round %d: files %d and %d bytes, each may take %d", round, c, p, maxBytes/2)
		}
		if p > 0 && p <= maxBytes/2-int64(longest) {
			t.Errorf("round %d: previous file rotated at %d bytes, with room for another record", round, p)
		}
	}
	last := next - 1
	s := mustOpen(t, dir, Options{MaxBytes: maxBytes, Recent: 10000}, nil)
	defer mustClose(t, s)
	got := ids(s.Recent(10000, time.Time{}))
	if len(got) == 0 || got[0] != last || !reflect.DeepEqual(got, seq(last, got[len(got)-1])) {
		t.Fatalf("loaded %v: not the newest calls without a gap", got)
	}
	// Both files nearly full: at least the cap minus a record in each, over the longest record.
	if min := (maxBytes - 2*longest) / longest; len(got) < min || got[len(got)-1] == 1 {
		t.Errorf("kept %d records (oldest %d), want at least %d and the first ones gone", len(got), got[len(got)-1], min)
	}
}

// TestDamagedLog: unreadable lines are skipped and logged, never an
// error; a torn end is cut so the next record has a line of its own.
func TestDamagedLog(t *testing.T) {
	good := func(ids ...uint64) string {
		var b strings.Builder
		for _, id := range ids {
			var ln line
			var ma, mb media
			r := rec(id)
			ln.fill(&r, &ma, &mb)
			j, _ := json.Marshal(&ln)
			b.Write(j)
			b.WriteByte('\n')
		}
		return b.String()
	}
	for _, c := range []struct {
		name       string
		prev, cur  string
		want       []uint64 // newest first, after one more record (99) is added
		wantLog    string
		wantOnDisk int // lines in the current file after the restart
	}{
		{"torn last line", "", good(1, 2) + `{"v":1,"id":3,"from":"1`, []uint64{99, 2, 1}, "torn_end=true", 3},
		{"zeros after a power cut", "", good(1) + "\x00\x00\x00\x00", []uint64{99, 1}, "torn_end=true", 2},
		{"garbage line in the middle", "", good(1) + "{not json\n\n" + good(2), []uint64{99, 2, 1}, "lines=2", 5},
		{"unknown version and no id", "", good(1) + `{"v":2,"id":5}` + "\n" + `{"v":1}` + "\n", []uint64{99, 1}, "lines=2", 4},
		{"overlong line", "", good(1) + strings.Repeat("x", 3*maxLine) + "\n" + good(2), []uint64{99, 2, 1}, "lines=1", 4},
		{"previous torn too", good(1) + "{", good(2), []uint64{99, 2, 1}, "torn_end=true", 2},
		{"empty files", "", "", []uint64{99}, "", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if c.prev != "" {
				os.WriteFile(filepath.Join(dir, previousName), []byte(c.prev), 0o600)
			}
			os.WriteFile(filepath.Join(dir, currentName), []byte(c.cur), 0o600)
			l := &logBuf{}
			s := mustOpen(t, dir, Options{}, l)
			s.Add(rec(99))
			mustClose(t, s)
			if c.wantLog != "" && !strings.Contains(l.String(), c.wantLog) {
				t.Errorf("log does not say %q:\n%s", c.wantLog, l)
			}
			s = mustOpen(t, dir, Options{}, nil)
			defer mustClose(t, s)
			if got := ids(s.Recent(100, time.Time{})); !reflect.DeepEqual(got, c.want) {
				t.Errorf("records %v, want %v", got, c.want)
			}
			b, _ := os.ReadFile(filepath.Join(dir, currentName))
			if n := bytes.Count(b, []byte("\n")); n != c.wantOnDisk || !bytes.HasSuffix(b, []byte("}\n")) {
				t.Errorf("current file has %d lines, want %d:\n%q", n, c.wantOnDisk, b)
			}
		})
	}
}

// TestUnusableDir: a data directory the log cannot live in is an error
// that names the path; the caller carries on without a store.
func TestUnusableDir(t *testing.T) {
	base := t.TempDir()
	file := filepath.Join(base, "file")
	os.WriteFile(file, []byte("x"), 0o600)
	dir := filepath.Join(file, "cdr")
	s, err := Open(dir, Options{}, slog.New(slog.DiscardHandler))
	if err == nil {
		s.Close(context.Background())
		t.Fatal("opened")
	}
	if !strings.HasPrefix(err.Error(), "cdr: ") || !strings.Contains(err.Error(), "not a directory") ||
		!strings.Contains(err.Error(), dir) {
		t.Errorf("error %q does not say cdr, the path and why", err)
	}
}

// TestUnreadableLog: a current file that cannot be read at all becomes the
// previous one and a new log starts; the store works.
func TestUnreadableLog(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, currentName), 0o750) // reads fail: it is a directory
	l := &logBuf{}
	s := mustOpen(t, dir, Options{}, l)
	s.Add(rec(1))
	mustClose(t, s)
	if !strings.Contains(l.String(), "call log unreadable, starting a new one") {
		t.Errorf("not logged:\n%s", l)
	}
	s = mustOpen(t, dir, Options{}, nil)
	defer mustClose(t, s)
	if got := ids(s.Recent(10, time.Time{})); !reflect.DeepEqual(got, []uint64{1}) {
		t.Errorf("records %v", got)
	}
}

// held opens a store whose writer stops before its first write until
// release is closed; entered is closed when it got there.
func held(t *testing.T, dir string, o Options, l *logBuf) (s *Store, entered, release chan struct{}) {
	t.Helper()
	entered, release = make(chan struct{}), make(chan struct{})
	var once sync.Once
	s, err := open(dir, o, l.logger(), func() {
		once.Do(func() { close(entered); <-release })
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, entered, release
}

// TestCloseFlushes: records still queued when Close is called are on
// disk when it returns.
func TestCloseFlushes(t *testing.T) {
	dir := t.TempDir()
	s, entered, release := held(t, dir, Options{Queue: 64}, &logBuf{})
	for id := uint64(1); id <= 50; id++ {
		s.Add(rec(id))
	}
	<-entered
	closed := make(chan error)
	go func() { closed <- s.Close(context.Background()) }()
	close(release)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st != (Stats{Written: 50}) {
		t.Errorf("stats %+v", st)
	}
	s = mustOpen(t, dir, Options{}, nil)
	defer mustClose(t, s)
	if got := ids(s.Recent(100, time.Time{})); !reflect.DeepEqual(got, seq(50, 1)) {
		t.Errorf("after close and reopen %v", got)
	}
}

// TestWriterBehind: when the writer cannot keep up, Add drops instead of
// blocking, counts and logs the drops, and the index still has them all.
func TestWriterBehind(t *testing.T) {
	dir := t.TempDir()
	l := &logBuf{}
	s, entered, release := held(t, dir, Options{Queue: 2}, l)
	s.Add(rec(1))
	<-entered // the writer holds record 1; the queue is empty
	for id := uint64(2); id <= 10; id++ {
		s.Add(rec(id)) // 2 and 3 queue, the rest drop
	}
	if st := s.Stats(); st.Dropped != 7 {
		t.Errorf("dropped %d, want 7", st.Dropped)
	}
	if got := ids(s.Recent(100, time.Time{})); !reflect.DeepEqual(got, seq(10, 1)) {
		t.Errorf("index %v", got)
	}
	close(release)
	mustClose(t, s)
	if !strings.Contains(l.String(), "fell behind") || !strings.Contains(l.String(), "dropped=7") {
		t.Errorf("drops not logged:\n%s", l)
	}
	s.Add(rec(11)) // after Close: dropped, not a panic
	if st := s.Stats(); st != (Stats{Written: 3, Dropped: 8}) {
		t.Errorf("stats %+v", st)
	}
	s = mustOpen(t, dir, Options{}, nil)
	defer mustClose(t, s)
	if got := ids(s.Recent(100, time.Time{})); !reflect.DeepEqual(got, []uint64{3, 2, 1}) {
		t.Errorf("on disk %v", got)
	}
}

// TestWriteFailure: a write that fails (the file replaced by something
// unwritable) is counted and logged once; the store carries on.
func TestWriteFailure(t *testing.T) {
	dir := t.TempDir()
	l := &logBuf{}
	s, entered, release := held(t, dir, Options{}, l)
	s.Add(rec(1))
	<-entered
	// The writer is held: swap its file for a read-only one, which fails every write.
	ro, err := os.Open(filepath.Join(dir, currentName))
	if err != nil {
		t.Fatal(err)
	}
	s.w.f.Close()
	s.w.f = ro
	close(release)
	s.Add(rec(2))
	mustClose(t, s)
	if st := s.Stats(); st.Failed != 2 || st.Written != 0 {
		t.Errorf("stats %+v", st)
	}
	if n := strings.Count(l.String(), "cannot write the call log"); n != 1 {
		t.Errorf("failure logged %d times:\n%s", n, l)
	}
	if got := ids(s.Recent(10, time.Time{})); !reflect.DeepEqual(got, []uint64{2, 1}) {
		t.Errorf("index %v", got)
	}
}

// TestAddAllocs: the engine's side of the sink allocates nothing.
func TestAddAllocs(t *testing.T) {
	s, entered, release := held(t, t.TempDir(), Options{Recent: 10, Queue: 1000}, &logBuf{})
	defer func() { close(release); mustClose(t, s) }()
	r := rec(1)
	s.Add(r)
	<-entered
	for range 10 {
		s.Add(r) // fill the index
	}
	if n := testing.AllocsPerRun(200, func() { s.Add(r) }); n != 0 {
		t.Errorf("Add allocates %v times", n)
	}
}

func ExampleStore() {
	dir, _ := os.MkdirTemp("", "cdr")
	defer os.RemoveAll(dir)
	log := slog.New(slog.DiscardHandler)
	s, _ := Open(filepath.Join(dir, "cdr"), Options{}, log)
	s.Add(core.Record{ID: 7, From: core.Party{Number: "100"}, To: "101", State: "ended", Cause: "normal",
		Started: t0, Ended: t0.Add(time.Minute)})
	s.Close(context.Background())

	s, _ = Open(filepath.Join(dir, "cdr"), Options{}, log)
	defer s.Close(context.Background())
	for _, r := range s.Recent(10, time.Time{}) {
		fmt.Println(r.ID, r.From.Number, r.To, r.Cause, r.Ended.Sub(r.Started))
	}
	// Output: 7 100 101 normal 1m0s
}
