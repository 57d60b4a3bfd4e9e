package jitter

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/hal"
)

// sig is the test signal: a ramp that names each sample by its timestamp.
func sig(ts uint32) int16 { return int16(ts&ramp) + 1 } // ramp+1 divides 2^32: wraps cleanly

const ramp = 1<<14 - 1

func packet(ts uint32, n int) []int16 {
	p := make([]int16, n)
	for i := range p {
		p[i] = sig(ts + uint32(i))
	}
	return p
}

// arrival is one packet reaching the buffer at a time in samples.
type arrival struct {
	at uint32
	ts uint32
	n  int
}

// stream makes count packets of n samples starting at ts0, sent every n
// samples from time 0, each delayed by delay(i) samples.
func stream(ts0 uint32, count, n int, delay func(i int) int) []arrival {
	a := make([]arrival, count)
	for i := range a {
		a[i] = arrival{at: uint32(i*n + delay(i)), ts: ts0 + uint32(i*n), n: n}
	}
	slices.SortStableFunc(a, func(x, y arrival) int { return int(int32(x.at - y.at)) })
	return a
}

type played struct {
	out Output
	f   hal.Frame
}

// run pushes the arrivals and pops a frame every 160 samples starting at
// phase, until the last pop time; arrivals at the same time as a pop go first.
func run(b *Buffer, arr []arrival, phase uint32, pops int) []played {
	var out []played
	i := 0
	for k := range pops {
		now := phase + uint32(k*frame)
		for i < len(arr) && int32(arr[i].at-now) <= 0 {
			b.Push(arr[i].ts, arr[i].at, packet(arr[i].ts, arr[i].n))
			i++
		}
		var p played
		p.out = b.Pop(&p.f)
		out = append(out, p)
	}
	return out
}

// contiguous reports how many played frames carry the signal without a break
// (frames that are the exact continuation of the previous one).
func contiguous(t *testing.T, ps []played) (good, breaks int) {
	t.Helper()
	var next int16
	started := false
	for _, p := range ps {
		if p.out != Played {
			started = false
			continue
		}
		if started && p.f[0] != next {
			breaks++
		}
		ok := true
		for i := 1; i < frame; i++ {
			want := p.f[i-1] + 1
			if p.f[i-1] == ramp+1 {
				want = 1
			}
			if p.f[i] != want {
				ok = false
			}
		}
		if ok {
			good++
		}
		next = p.f[frame-1] + 1
		if p.f[frame-1] == ramp+1 {
			next = 1
		}
		started = true
	}
	return good, breaks
}

func count(ps []played, o Output) int {
	n := 0
	for _, p := range ps {
		if p.out == o {
			n++
		}
	}
	return n
}

func TestSteadyStreams(t *testing.T) {
	tests := []struct {
		name   string
		n      int // samples per packet
		ts0    uint32
		phase  uint32
		delay  func(int) int
		played int
	}{
		{"20 ms packets", 160, 1000, 37, func(int) int { return 0 }, 98},
		{"30 ms packets (SIPp's PCMA capture)", 240, 50, 150, func(int) int { return 0 }, 97},
		{"10 ms packets", 80, 7, 3, func(int) int { return 0 }, 98},
		{"timestamps wrap", 160, 0xffffffff - 5000, 10, func(int) int { return 0 }, 98},
		{"pairs swapped", 160, 1000, 100, func(i int) int { return []int{60, -60}[i%2] + 60 }, 97},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := New(Opts{})
			count100 := 100 * frame / tc.n
			ps := run(b, stream(tc.ts0, count100+10, tc.n, tc.delay), tc.phase, 100)
			good, breaks := contiguous(t, ps)
			st := b.Stats()
			if good < tc.played || breaks != 0 || st.Late != 0 || st.Concealed != 0 || st.Skipped != 0 || st.Inserted != 0 {
				t.Errorf("good %d breaks %d stats %+v", good, breaks, st)
			}
			if ps[0].out != Idle {
				t.Errorf("first pop %v, want idle", ps[0].out)
			}
		})
	}
}

func TestLossIsConcealedAndFaded(t *testing.T) {
	b := New(Opts{})
	arr := stream(0, 30, frame, func(int) int { return 0 })
	// Lose packets 10..14 (100 ms).
	arr = slices.DeleteFunc(arr, func(a arrival) bool { return a.ts >= 10*frame && a.ts < 15*frame })
	ps := run(b, arr, 1, 30)
	var i int
	for i = range ps {
		if ps[i].out == Concealed {
			break
		}
	}
	last := ps[i-1].f
	if ps[i-1].out != Played {
		t.Fatalf("frame before the gap: %v", ps[i-1].out)
	}
	// First concealed frame: 10 ms at full level, then fading.
	c := ps[i].f
	if c[0] != last[0] || c[79] != last[79] {
		t.Errorf("first 10 ms not repeated at full level: %d/%d vs %d/%d", c[0], c[79], last[0], last[79])
	}
	if want := int32(last[159]) * gain(159) >> 15; int32(c[159]) != want || c[159] >= last[159] {
		t.Errorf("end of first concealed frame %d, want faded %d (from %d)", c[159], want, last[159])
	}
	wantOut := []Output{Concealed, Concealed, Concealed, Empty, Empty, Played}
	for k, w := range wantOut {
		if ps[i+k].out != w {
			t.Errorf("frame %d after the gap = %v, want %v", k, ps[i+k].out, w)
		}
	}
	if ps[i+3].f != (hal.Frame{}) {
		t.Error("not silent after 60 ms")
	}
	st := b.Stats()
	if st.Concealed != 3 || st.Empty != 2 || st.Late != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestCrossfadeAfterSingleLoss(t *testing.T) {
	b := New(Opts{})
	arr := stream(0, 20, frame, func(int) int { return 0 })
	arr = slices.DeleteFunc(arr, func(a arrival) bool { return a.ts == 8*frame })
	ps := run(b, arr, 1, 20)
	for i := 1; i < len(ps); i++ {
		if ps[i-1].out == Concealed && ps[i].out == Played {
			f := ps[i].f
			// The first sample is all concealment, the 32nd nearly all new audio.
			if f[0] == sig(9*frame) || f[crossfade] != sig(9*frame+crossfade) {
				t.Errorf("crossfade: f[0]=%d f[32]=%d", f[0], f[crossfade])
			}
			return
		}
	}
	t.Fatal("no concealed frame followed by audio")
}

func TestDuplicateAndLate(t *testing.T) {
	b := New(Opts{})
	if r := b.Push(1000, 0, packet(1000, frame)); r != Stored {
		t.Fatalf("first push %v", r)
	}
	if r := b.Push(1000, 10, packet(1000, frame)); r != Duplicate {
		t.Errorf("duplicate push %v", r)
	}
	var f hal.Frame
	for range 4 {
		b.Pop(&f) // plays 40 ms of lead-in then the packet, then beyond
	}
	if r := b.Push(1000+frame, 700, packet(1000+frame, frame)); r != Late {
		t.Errorf("late push %v", r)
	}
	// Half late: the tail is kept.
	if r := b.Push(b.play-80, 710, packet(b.play-80, frame)); r != Stored {
		t.Errorf("partly late push %v", r)
	}
	st := b.Stats()
	if st.Late != 2 || st.Duplicates != 1 || st.Stored != 2 {
		t.Errorf("stats %+v", st)
	}
	if b.Stats().Target <= 20*time.Millisecond {
		t.Errorf("target %v did not rise after late packets", b.Stats().Target)
	}
}

func TestTimestampJumpsResync(t *testing.T) {
	// Forward and back, far and near: 1<<32-4000 is a sender whose clock
	// stood still for half a second.
	for _, jump := range []uint32{1 << 20, 1<<32 - 1<<20, 5000, 1<<32 - 4000} {
		b := New(Opts{})
		a := stream(100, 20, frame, func(int) int { return 0 })
		b2 := stream(100+20*frame+jump, 20, frame, func(int) int { return 0 })
		for i := range b2 {
			b2[i].at += 20 * frame
		}
		ps := run(b, append(a, b2...), 5, 45)
		st := b.Stats()
		if st.Resyncs != 1 {
			t.Errorf("jump %d: resyncs %d, stats %+v", jump, st.Resyncs, st)
		}
		if good, _ := contiguous(t, ps[25:]); good < 15 {
			t.Errorf("jump %d: only %d good frames after the jump", jump, good)
		}
	}
}

// With delay jitter the buffer grows until almost nothing is late, and shrinks
// again when the jitter goes away.
func TestAdaptsToJitter(t *testing.T) {
	b := New(Opts{})
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 1500 // 30 s
	jittery := func(i int) int {
		if i < n/2 {
			return rng.IntN(480) // up to 60 ms of extra delay, uniform
		}
		return 0
	}
	arr := stream(0, n, frame, jittery)
	half := slices.IndexFunc(arr, func(a arrival) bool { return a.at >= n/2*frame })
	run(b, arr[:half], 80, n/2)
	st := b.Stats()
	t.Logf("after the jittery half: %+v", st)
	if st.Late > n/2/50 { // under 2 %
		t.Errorf("%d late packets in the jittery half", st.Late)
	}
	if st.Inserted == 0 || st.Target < 45*time.Millisecond || st.Delay < 45*time.Millisecond {
		t.Errorf("did not grow: inserted %d, target %v, delay %v", st.Inserted, st.Target, st.Delay)
	}
	run(b, arr[half:], 80+n/2*frame, n/2)
	st = b.Stats()
	t.Logf("after the calm half: %+v", st)
	if st.Skipped == 0 || st.Target > 30*time.Millisecond || st.Delay > 60*time.Millisecond {
		t.Errorf("did not shrink back: skipped %d, target %v, delay %v", st.Skipped, st.Target, st.Delay)
	}
	if st.Jitter > 5*time.Millisecond {
		t.Errorf("J %v did not decay", st.Jitter)
	}
}

// Measure J during the jittery stretch only.
func TestJitterEstimate(t *testing.T) {
	b := New(Opts{})
	rng := rand.New(rand.NewPCG(3, 4))
	var f hal.Frame
	var sum time.Duration
	for i := range 3000 {
		ts := uint32(i * frame)
		b.Push(ts, ts+uint32(rng.IntN(480)), packet(ts, frame))
		b.Pop(&f)
		if i >= 1000 {
			sum += b.Stats().Jitter
		}
	}
	// For delays uniform on [0, a], E|D| = a/3: 160 samples = 20 ms.
	j := sum / 2000
	if j < 18*time.Millisecond || j > 22*time.Millisecond {
		t.Errorf("J = %v, want about 20 ms", j)
	}
}

func TestIdleAndReset(t *testing.T) {
	b := New(Opts{})
	var f hal.Frame
	f[3] = 9
	if b.Pop(&f) != Idle || f != (hal.Frame{}) {
		t.Error("empty buffer did not give idle silence")
	}
	b.Push(500, 0, packet(500, frame))
	b.Reset()
	if b.Pop(&f) != Idle {
		t.Error("reset buffer not idle")
	}
	if b.Push(1, 0, nil) != Discarded || b.Push(1, 0, make([]int16, b.Capacity())) != Discarded {
		t.Error("empty or oversize packet accepted")
	}
}

func TestNoAllocations(t *testing.T) {
	b := New(Opts{})
	pcm := packet(0, frame)
	var f hal.Frame
	ts := uint32(0)
	if n := testing.AllocsPerRun(1000, func() {
		b.Push(ts, ts, pcm)
		b.Pop(&f)
		ts += frame
	}); n != 0 {
		t.Errorf("%v allocs per push+pop", n)
	}
}

func BenchmarkPushPop(b *testing.B) {
	jb := New(Opts{})
	pcm := packet(0, frame)
	var f hal.Frame
	ts := uint32(0)
	b.ReportAllocs()
	for b.Loop() {
		jb.Push(ts, ts, pcm)
		jb.Pop(&f)
		ts += frame
	}
}
