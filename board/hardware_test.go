//go:build hardware

package board_test

import (
	"os"
	"testing"

	"github.com/hookswitch/hookswitch/board"
	"github.com/hookswitch/hookswitch/hal/haltest"
)

// TestHardwareConformance runs the hal conformance suite on the real board
// named by HOOKSWITCH_BOARD (default rpi-2xsi3215), with an operator at the
// bench: go test -tags hardware -run Hardware -v ./board
func TestHardwareConformance(t *testing.T) {
	name := os.Getenv("HOOKSWITCH_BOARD")
	if name == "" {
		name = "rpi-2xsi3215"
	}
	b, err := board.Open(name, board.Options{Realtime: true})
	if err != nil {
		t.Fatal(err)
	}
	haltest.TestBoard(t, b, &haltest.Operator{In: os.Stdin, Out: os.Stderr})
}
