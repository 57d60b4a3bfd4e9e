package core

import (
	"time"

	"github.com/hookswitch/hookswitch/pbx/tone"
)

// holdMusic is what a held party hears: a short synthesised phrase
// (notes with a soft octave below), repeated after a pause, so the caller
// knows the line is alive. It is our own tune, not a standard tone; the
// level, -20 dBm0 per note, keeps it well under speech (no standard sets
// a music-on-hold level; Q.35 tones are -10 to -20 dBm0). A deployment
// that wants real music replaces it with an app channel.
func holdMusic() tone.Spec {
	const (
		note   = 240 * time.Millisecond
		gap    = 40 * time.Millisecond
		pause  = 1200 * time.Millisecond
		level  = -20
		under  = -30
		phrase = "G4 C5 E5 G5 E5 C5 D5 B4 C5"
	)
	hz := map[string]uint16{"G4": 392, "B4": 494, "C5": 523, "D5": 587, "E5": 659, "G5": 784}
	var parts []tone.Part
	for i := 0; i < len(phrase); i += 3 {
		f := hz[phrase[i:i+2]]
		parts = append(parts,
			tone.Part{Freqs: [4]uint16{f, f / 2}, Level: [4]int8{level, under}, Dur: note},
			tone.Part{Dur: gap})
	}
	parts = append(parts, tone.Part{Dur: pause})
	return tone.Spec{Name: "holdmusic", Parts: parts}
}
