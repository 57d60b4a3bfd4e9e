package main

import (
	"fmt"

	"github.com/hookswitch/hookswitch/board"
)

const calibrateUsage = "calibrate N [--board NAME|FILE]"

// runCalibrate reruns a port's calibration (the line is open for about a second).
func runCalibrate(args []string) error {
	f := newInstallerFlags("calibrate", calibrateUsage)
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	n, err := port(pos, calibrateUsage)
	if err != nil {
		return err
	}
	if *f.board != "" {
		err = withBoard(*f.board, func(x *board.Installer) error { return x.Calibrate(n) })
	} else {
		err = daemonCall("POST", fmt.Sprintf("/api/v1/ports/%d/calibrate", n), nil, nil)
	}
	if err != nil {
		return err
	}
	fmt.Printf("port %d calibrated\n", n)
	return nil
}
