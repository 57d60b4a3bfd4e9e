package main

import (
	"fmt"
	"time"

	"github.com/hookswitch/hookswitch/board"
)

const ringUsage = "ring N [--cadences 3] [--on 2s] [--off 4s] [--board NAME|FILE] [--json]"

// runRing rings a port for a few cadences; lifting the handset stops it.
func runRing(args []string) error {
	f := newInstallerFlags("ring", ringUsage)
	cad := f.fs.Int("cadences", 3, "ring cycles")
	on := f.fs.Duration("on", 2*time.Second, "ringing time per cycle")
	off := f.fs.Duration("off", 4*time.Second, "silence per cycle")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	n, err := port(pos, ringUsage)
	if err != nil {
		return err
	}
	if *cad < 1 || *on < 100*time.Millisecond || *off < 100*time.Millisecond {
		return fmt.Errorf("ring needs at least 1 cadence of ≥ 100 ms on and off")
	}
	if *f.board == "" {
		req := map[string]int{"cadences": *cad, "on_ms": int(on.Milliseconds()), "off_ms": int(off.Milliseconds())}
		if err := daemonCall("POST", fmt.Sprintf("/api/v1/ports/%d/ring", n), req, nil); err != nil {
			return err
		}
		fmt.Printf("port %d rings %d × %v on / %v off\n", n, *cad, *on, *off)
		return nil
	}
	var res board.RingResult
	err = withBoard(*f.board, func(x *board.Installer) error {
		res, err = x.Ring(n, *cad, *on, *off)
		return err
	})
	if err != nil {
		return err
	}
	if *f.json {
		return printJSON(res)
	}
	if res.Answered {
		fmt.Printf("port %d: answered after %v (ring trip)\n", n, res.After.Round(10*time.Millisecond))
	} else {
		fmt.Printf("port %d: rang %d cadences, not answered\n", n, res.Cadences)
	}
	return nil
}
