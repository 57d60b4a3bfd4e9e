package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/hookswitch/hookswitch/board"
)

const regsUsage = "regs N [--set REG=VAL] [--board NAME|FILE] [--json]\n" +
	"  REG is a register number or name, ir:N (Si321x indirect) or ram:N (Si3226x RAM); VAL decimal or 0x…"

// runRegs dumps a port's chip registers, or writes one and reads it back.
func runRegs(args []string) error {
	f := newInstallerFlags("regs", regsUsage)
	set := f.fs.String("set", "", "write REG=VAL and read it back")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	n, err := port(pos, regsUsage)
	if err != nil {
		return err
	}
	path := fmt.Sprintf("/api/v1/ports/%d/regs", n)
	if *set != "" {
		var out struct {
			Reg board.RegValue `json:"reg"`
		}
		if *f.board != "" {
			err = withBoard(*f.board, func(x *board.Installer) error {
				out.Reg, err = x.SetRegister(n, *set)
				return err
			})
		} else {
			err = daemonCall("POST", path, map[string]string{"set": *set}, &out)
		}
		if err != nil {
			return err
		}
		if *f.json {
			return printJSON(out.Reg)
		}
		fmt.Printf("port %d %s %d %s = %#x\n", n, out.Reg.Space, out.Reg.Addr, out.Reg.Name, out.Reg.Value)
		return nil
	}
	var out struct {
		Regs []board.RegValue `json:"regs"`
	}
	if *f.board != "" {
		err = withBoard(*f.board, func(x *board.Installer) error {
			out.Regs, err = x.Registers(n)
			return err
		})
	} else {
		err = daemonCall("GET", path, nil, &out)
	}
	if err != nil {
		return err
	}
	return output(*f.json, out, "SPACE\tADDR\tNAME\tHEX\tDEC", func(tw *tabwriter.Writer) {
		for _, r := range out.Regs {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%#x\t%d\n", r.Space, r.Addr, r.Name, r.Value, r.Value)
		}
	})
}
