package board_test

import (
	"testing"

	"github.com/hookswitch/hookswitch/board"
	"github.com/hookswitch/hookswitch/hal/haltest"
)

// TestConformance runs the hal conformance suite on every simulated board.
func TestConformance(t *testing.T) {
	for _, name := range []string{"sim-4fxs", "sim-8fxs", "sim-ideal-4fxs"} {
		t.Run(name, func(t *testing.T) {
			b, err := board.Open(name, board.Options{Country: "us"})
			if err != nil {
				t.Fatal(err)
			}
			haltest.TestBoard(t, b, haltest.Phones{Board: b.(board.Simulated)})
		})
	}
}
