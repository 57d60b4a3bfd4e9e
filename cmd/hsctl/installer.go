package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/hookswitch/hookswitch/board"
)

// The installer's commands work two ways: with --board NAME|FILE they open
// the board themselves (a freshly wired board, no daemon running); without
// it they ask the running daemon's management API.

// installerFlags are the flags every installer command takes.
type installerFlags struct {
	fs    *flag.FlagSet
	board *string
	json  *bool
}

func newInstallerFlags(name, usage string) *installerFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: hsctl %s\n", usage)
		fs.PrintDefaults()
	}
	return &installerFlags{
		fs:    fs,
		board: fs.String("board", "", "open this board (built-in name or board file) instead of asking the daemon"),
		json:  fs.Bool("json", false, "print JSON for scripts"),
	}
}

// parse parses flags placed before or after the positional arguments.
func (f *installerFlags) parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := f.fs.Parse(args); err != nil {
			return nil, err
		}
		args = f.fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

// port parses the port argument.
func port(pos []string, usage string) (int, error) {
	if len(pos) != 1 {
		return 0, fmt.Errorf("usage: hsctl %s", usage)
	}
	n, err := strconv.Atoi(pos[0])
	if err != nil || n < 1 {
		return 0, fmt.Errorf("port %q is not a port number (1, 2, …)", pos[0])
	}
	return n, nil
}

// withBoard opens the board named by --board, runs fn on its installer and
// closes it (lines halted).
func withBoard(name string, fn func(*board.Installer) error) (err error) {
	b, err := board.Open(name, board.Options{Country: "us"})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := b.Close(); err == nil {
			err = cerr
		}
	}()
	x, err := board.NewInstaller(b)
	if err != nil {
		return err
	}
	return fn(x)
}

// daemonCall asks the daemon, explaining a daemon that lacks the endpoint.
func daemonCall(method, path string, in, out any) error {
	err := callJSON(method, path, in, out)
	if err != nil && strings.Contains(err.Error(), "404") {
		return fmt.Errorf("the daemon does not serve %s (installer endpoints not enabled); use --board to open the board directly: %w", path, err)
	}
	return err
}

// output prints v as JSON, or as a table from rows.
func output(asJSON bool, v any, header string, rows func(tw *tabwriter.Writer)) error {
	if asJSON {
		return printJSON(v)
	}
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	rows(tw)
	return tw.Flush()
}
