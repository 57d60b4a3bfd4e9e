package wav

import (
	"bytes"
	"errors"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	in := []int16{0, 1, -1, 32767, -32768, 1234}
	var b bytes.Buffer
	if err := Encode(&b, in); err != nil {
		t.Fatal(err)
	}
	out, err := Decode(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("got %d samples", len(out))
	}
	for i := range in {
		if in[i] != out[i] {
			t.Fatalf("sample %d: %d != %d", i, out[i], in[i])
		}
	}
}

func TestRejects(t *testing.T) {
	var b bytes.Buffer
	_ = Encode(&b, []int16{1, 2})
	stereo := bytes.Clone(b.Bytes())
	stereo[22] = 2
	for name, data := range map[string][]byte{
		"empty":    nil,
		"not riff": []byte("hello world, not a wav"),
		"stereo":   stereo,
		"cut":      b.Bytes()[:30],
	} {
		if _, err := Decode(data); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
