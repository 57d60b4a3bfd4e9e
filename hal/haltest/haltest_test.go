package haltest_test

import (
	"testing"

	"github.com/hookswitch/hookswitch/hal/haltest"
	"github.com/hookswitch/hookswitch/hal/sim"
)

// The foundation's ideal line cards conform; board/ runs the suite against the
// chip-model boards.
func TestIdealSimBoard(t *testing.T) {
	b, err := sim.New(sim.Options{Ports: 4, Country: "us"})
	if err != nil {
		t.Fatal(err)
	}
	haltest.TestBoard(t, b, haltest.Phones{Board: b})
}
