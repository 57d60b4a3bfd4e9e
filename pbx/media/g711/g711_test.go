package g711

import (
	"math"
	"testing"

	zaf "github.com/zaf/g711"

	"github.com/hookswitch/hookswitch/hal"
)

func TestEncodeMatchesLibraryForEverySample(t *testing.T) {
	for _, law := range []Law{PCMU, PCMA} {
		ref := zaf.EncodeUlawFrame
		if law == PCMA {
			ref = zaf.EncodeAlawFrame
		}
		var dst [1]byte
		for i := range 1 << 16 {
			s := int16(uint16(i))
			law.EncodeTo(dst[:], []int16{s})
			if want := ref(s); dst[0] != want {
				t.Fatalf("%v encode(%d) = %#x, want %#x", law, s, dst[0], want)
			}
		}
	}
}

func TestKnownCodeWords(t *testing.T) {
	tests := []struct {
		law    Law
		sample int16
		code   byte
	}{
		{PCMU, 0, 0xFF},      // µ-law zero is all ones (G.711, inverted code)
		{PCMA, 0, 0xD5},      // A-law zero with even bits inverted
		{PCMU, 32767, 0x80},  // positive full scale
		{PCMU, -32768, 0x00}, // negative full scale
		{PCMA, 32767, 0xAA},  // positive full scale
		{PCMA, -32768, 0x2A}, // negative full scale
	}
	for _, tc := range tests {
		var got [1]byte
		tc.law.EncodeTo(got[:], []int16{tc.sample})
		if got[0] != tc.code {
			t.Errorf("%v encode(%d) = %#x, want %#x", tc.law, tc.sample, got[0], tc.code)
		}
	}
	if PCMU.Silence() != 0xFF || PCMA.Silence() != 0xD5 {
		t.Errorf("silence = %#x/%#x", PCMU.Silence(), PCMA.Silence())
	}
}

// Every code word decodes to a value that encodes back to the same code word
// (except µ-law's negative zero 0x7F, which G.711 maps to the same level as 0xFF).
func TestDecodeEncodeRoundTrip(t *testing.T) {
	for _, law := range []Law{PCMU, PCMA} {
		for c := range 256 {
			var lin [1]int16
			law.DecodeTo(lin[:], []byte{byte(c)})
			var back [1]byte
			law.EncodeTo(back[:], lin[:])
			if back[0] != byte(c) && !(law == PCMU && c == 0x7F) {
				t.Errorf("%v: code %#x -> %d -> %#x", law, c, lin[0], back[0])
			}
		}
	}
}

// The quantisation error of a full frame stays within G.711's segment step:
// at most half a step, which is 1/32 of the segment's lower bound or better.
func TestFrameQuantisationError(t *testing.T) {
	var in hal.Frame
	for i := range in {
		in[i] = int16(8000 * math.Sin(2*math.Pi*1000*float64(i)/hal.SampleRate))
	}
	for _, law := range []Law{PCMU, PCMA} {
		var enc Frame
		var out hal.Frame
		law.Encode(&enc, &in)
		law.Decode(&out, &enc)
		for i := range in {
			err := math.Abs(float64(out[i]) - float64(in[i]))
			limit := math.Max(16, math.Abs(float64(in[i]))/16)
			if err > limit {
				t.Fatalf("%v sample %d: in %d out %d (err %.0f > %.0f)", law, i, in[i], out[i], err, limit)
			}
		}
	}
}

func TestTranscodeMatchesLibrary(t *testing.T) {
	var src, dst Frame
	for c := range 256 {
		src[c%len(src)] = byte(c)
		if c%len(src) != len(src)-1 && c != 255 {
			continue
		}
		Transcode(&dst, &src, PCMU, PCMA)
		for i := range dst {
			if want := zaf.Ulaw2AlawFrame(src[i]); dst[i] != want {
				t.Fatalf("u->a %#x = %#x, want %#x", src[i], dst[i], want)
			}
		}
		Transcode(&dst, &src, PCMA, PCMU)
		for i := range dst {
			if want := zaf.Alaw2UlawFrame(src[i]); dst[i] != want {
				t.Fatalf("a->u %#x = %#x, want %#x", src[i], dst[i], want)
			}
		}
		Transcode(&dst, &src, PCMA, PCMA)
		if dst != src {
			t.Fatal("same-law transcode is not a copy")
		}
	}
}

func TestPayloadTypes(t *testing.T) {
	for _, tc := range []struct {
		pt  uint8
		law Law
		ok  bool
	}{{0, PCMU, true}, {8, PCMA, true}, {18, 0, false}, {101, 0, false}} {
		law, ok := ForPayloadType(tc.pt)
		if law != tc.law || ok != tc.ok {
			t.Errorf("ForPayloadType(%d) = %v,%v", tc.pt, law, ok)
		}
		if ok && law.PayloadType() != tc.pt {
			t.Errorf("%v.PayloadType() = %d", law, law.PayloadType())
		}
	}
	if PCMU.String() != "PCMU" || PCMA.String() != "PCMA" || Law(0).Valid() {
		t.Error("names or validity wrong")
	}
}

func TestShortSlices(t *testing.T) {
	dst := make([]byte, 3)
	if n := PCMU.EncodeTo(dst, make([]int16, 10)); n != 3 {
		t.Errorf("EncodeTo = %d", n)
	}
	if n := PCMA.DecodeTo(make([]int16, 10), dst); n != 3 {
		t.Errorf("DecodeTo = %d", n)
	}
	if n := TranscodeTo(dst, dst[:2], PCMU, PCMA); n != 2 {
		t.Errorf("TranscodeTo = %d", n)
	}
}

func TestNoAllocations(t *testing.T) {
	var in hal.Frame
	var enc, enc2 Frame
	var out hal.Frame
	PCMU.Encode(&enc, &in) // build the tables outside the measurement
	for name, f := range map[string]func(){
		"encode":    func() { PCMA.Encode(&enc, &in) },
		"decode":    func() { PCMU.Decode(&out, &enc) },
		"transcode": func() { Transcode(&enc2, &enc, PCMU, PCMA) },
	} {
		if n := testing.AllocsPerRun(1000, f); n != 0 {
			t.Errorf("%s: %v allocs per frame", name, n)
		}
	}
}

func benchFrame() *hal.Frame {
	var f hal.Frame
	for i := range f {
		f[i] = int16(12000 * math.Sin(2*math.Pi*440*float64(i)/hal.SampleRate))
	}
	return &f
}

func BenchmarkEncodeFrame(b *testing.B) {
	in := benchFrame()
	var out Frame
	b.ReportAllocs()
	for b.Loop() {
		PCMU.Encode(&out, in)
	}
}

func BenchmarkDecodeFrame(b *testing.B) {
	var enc Frame
	PCMA.Encode(&enc, benchFrame())
	var out hal.Frame
	b.ReportAllocs()
	for b.Loop() {
		PCMA.Decode(&out, &enc)
	}
}

func BenchmarkTranscodeFrame(b *testing.B) {
	var enc, out Frame
	PCMU.Encode(&enc, benchFrame())
	b.ReportAllocs()
	for b.Loop() {
		Transcode(&out, &enc, PCMU, PCMA)
	}
}
