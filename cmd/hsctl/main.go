// Command hsctl is the installer's and developer's tool: it talks to a
// running daemon's management API, or (installer commands with --board)
// opens a board directly.
package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// command is one subcommand.
type command struct {
	summary string
	run     func(args []string) error
}

// commands is the one table of subcommands.
func commands() map[string]command {
	return map[string]command{
		"health":    {"show the daemon's health", runHealth},
		"probe":     {"chips found, part and revision (--board NAME|FILE opens a board directly)", runProbe},
		"ports":     {"state of every port: chip, linefeed, battery, loop current, alarms", runPorts},
		"ring":      {"ring port N for a few cadences", runRing},
		"linetest":  {"measure port N's line and say what to do", runLinetest},
		"regs":      {"dump port N's chip registers, or --set REG=VAL", runRegs},
		"calibrate": {"recalibrate port N's chip", runCalibrate},
		"sim":       {"drive the simulated phones (hsctl sim help)", runSim},
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: hsctl [--api URL] [--password P] COMMAND [ARGS]\n\nCommands:")
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(os.Stderr, "\nThe daemon's API is http://127.0.0.1:8080 unless --api or HOOKSWITCH_API says otherwise.")
	fmt.Fprintln(os.Stderr, "Its admin password comes from --password, HOOKSWITCH_PASSWORD or "+secretFile+".")
}

func main() {
	args := os.Args[1:]
	api := os.Getenv("HOOKSWITCH_API")
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch {
		case args[0] == "--api" && len(args) > 1:
			api, args = args[1], args[2:]
		case strings.HasPrefix(args[0], "--api="):
			api, args = strings.TrimPrefix(args[0], "--api="), args[1:]
		case args[0] == "--password" && len(args) > 1:
			password, args = args[1], args[2:]
		case args[0] == "-h" || args[0] == "--help" || args[0] == "help":
			usage()
			return
		default:
			fmt.Fprintf(os.Stderr, "hsctl: unknown option %s\n", args[0])
			usage()
			os.Exit(2)
		}
	}
	if len(args) == 0 || args[0] == "help" {
		usage()
		if len(args) == 0 {
			os.Exit(2)
		}
		return
	}
	if api != "" {
		apiBase = strings.TrimRight(api, "/")
	}
	c, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "hsctl: unknown command %q\n", args[0])
		usage()
		os.Exit(2)
	}
	if err := c.run(args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "hsctl:", err)
		os.Exit(1)
	}
}
