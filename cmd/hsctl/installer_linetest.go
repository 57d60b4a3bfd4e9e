package main

import (
	"fmt"
	"strings"

	"github.com/hookswitch/hookswitch/board"
)

const linetestUsage = "linetest N [--board NAME|FILE] [--json]"

// runLinetest measures a port's line and says what to do about it.
func runLinetest(args []string) error {
	f := newInstallerFlags("linetest", linetestUsage)
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	n, err := port(pos, linetestUsage)
	if err != nil {
		return err
	}
	var out struct {
		Report board.LineReport `json:"report"`
	}
	if *f.board != "" {
		err = withBoard(*f.board, func(x *board.Installer) error {
			out.Report, err = x.LineTest(n)
			return err
		})
	} else {
		err = daemonCall("POST", fmt.Sprintf("/api/v1/ports/%d/linetest", n), nil, &out)
	}
	if err != nil {
		return err
	}
	if *f.json {
		return printJSON(out.Report)
	}
	r := out.Report
	m := r.Measured
	fmt.Printf("port %d (%s): %s\n", r.Port, r.Chip, strings.ToUpper(r.Verdict))
	fmt.Printf("  battery %.1f V, line %.1f V, loop current %.1f mA, handset %s, leakage test %s\n",
		m.Battery, m.Loop, m.LoopCurrent, map[string]string{"on": "on", "off": "off"}[r.Hook], r.Leakage)
	for _, s := range r.Findings {
		fmt.Println("  -", s)
	}
	return nil
}
