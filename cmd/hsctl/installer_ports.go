package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/hookswitch/hookswitch/board"
	"github.com/hookswitch/hookswitch/hal/slic"
)

const portsUsage = "ports [--board NAME|FILE] [--json]"

// runPorts shows every port's health: state, chip, linefeed, hook, battery
// and loop current, alarm counts.
func runPorts(args []string) error {
	f := newInstallerFlags("ports", portsUsage)
	if _, err := f.parse(args); err != nil {
		return err
	}
	var out struct {
		Ports []slic.Status `json:"ports"`
	}
	var err error
	if *f.board != "" {
		err = withBoard(*f.board, func(x *board.Installer) error { out.Ports = x.Health(); return nil })
	} else {
		err = daemonCall("GET", "/api/v1/ports/health", nil, &out)
	}
	if err != nil {
		return err
	}
	return output(*f.json, out, "PORT\tSTATE\tCHIP\tLINEFEED\tHOOK\tBATTERY\tLOOP\tALARMS\tFAULTS\tIRQ", func(tw *tabwriter.Writer) {
		for _, p := range out.Ports {
			bat, loop := "-", "-"
			if m := p.Measured; m != nil {
				bat, loop = fmt.Sprintf("%.0f V", m.Battery), fmt.Sprintf("%.0f V %.1f mA", m.Loop, m.LoopCurrent)
			}
			state := p.State
			if p.Reason != "" {
				state += " (" + p.Reason + ")"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n",
				p.Port, state, p.Chip, p.Linefeed, p.Hook, bat, loop, p.Alarms, p.Faults, p.IRQ)
		}
	})
}
