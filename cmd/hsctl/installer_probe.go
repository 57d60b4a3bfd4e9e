package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/hookswitch/hookswitch/board"
)

const probeUsage = "probe [--board NAME|FILE] [--json]"

// runProbe lists the chips found, with part and revision.
func runProbe(args []string) error {
	f := newInstallerFlags("probe", probeUsage)
	if _, err := f.parse(args); err != nil {
		return err
	}
	var out struct {
		Chips []board.ChipReport `json:"chips"`
	}
	var err error
	if *f.board != "" {
		err = withBoard(*f.board, func(x *board.Installer) error { out.Chips = x.Probe(); return nil })
	} else {
		err = daemonCall("GET", "/api/v1/chips", nil, &out)
	}
	if err != nil {
		return err
	}
	return output(*f.json, out, "PORT\tCHIP\tSPI\tIRQ\tSTATE", func(tw *tabwriter.Writer) {
		for _, c := range out.Chips {
			spi := c.SPI
			if c.Chain > 0 {
				spi = fmt.Sprintf("%s chain %d", c.SPI, c.Chain)
			}
			state := c.State
			if c.Reason != "" {
				state += ": " + c.Reason
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", c.Port, c.Chip, spi, c.IRQ, state)
		}
	})
}
