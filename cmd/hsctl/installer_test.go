package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/board"
	"github.com/hookswitch/hookswitch/pbx/api"
)

// TestInstallerCommandsOnABoard runs every installer command against the
// simulated boards opened directly (--board).
func TestInstallerCommandsOnABoard(t *testing.T) {
	for _, b := range []string{"sim-4fxs", "sim-8fxs"} {
		for _, args := range [][]string{
			{"probe", "--board", b}, {"probe", "--board", b, "--json"},
			{"ports", "--board", b}, {"regs", "1", "--board", b},
			{"regs", "2", "--board", b, "--set", "LINEFEED=5"},
			{"linetest", "1", "--board", b, "--json"}, {"calibrate", "2", "--board", b},
			{"ring", "1", "--board", b, "--cadences", "1", "--on", "200ms", "--off", "200ms"},
		} {
			if err := commands()[args[0]].run(args[1:]); err != nil {
				t.Errorf("hsctl %s: %v", strings.Join(args, " "), err)
			}
		}
	}
}

func TestInstallerErrorsSayWhatIsWrong(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"regs", "x", "--board", "sim-4fxs"}, "not a port number"},
		{[]string{"regs", "9", "--board", "sim-4fxs"}, "no such port"},
		{[]string{"probe", "--board", "nope"}, "unknown board"},
		{[]string{"probe", "--board", "sim-ideal-4fxs"}, "no SLIC chips"},
		{[]string{"linetest", "--board", "sim-4fxs"}, "usage"},
	} {
		err := commands()[tc.args[0]].run(tc.args[1:])
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("hsctl %s: %v, want %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
	old := apiBase
	defer func() { apiBase = old }()
	apiBase = "http://127.0.0.1:1"
	if err := runProbe(nil); err == nil || !strings.Contains(err.Error(), "cannot reach the daemon") {
		t.Errorf("no daemon: %v", err)
	}
}

// TestInstallerCommandsThroughTheDaemonAPI serves the installer endpoints
// from a simulated board and runs the commands without --board.
func TestInstallerCommandsThroughTheDaemonAPI(t *testing.T) {
	b, err := board.Open("sim-4fxs", board.Options{Country: "us"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	x, err := board.NewInstaller(b)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	api.RegisterInstaller(mux, board.InstallerJSON{X: x, Sleep: func(time.Duration) {}})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	old := apiBase
	defer func() { apiBase = old }()
	apiBase = srv.URL
	for _, args := range [][]string{
		{"probe"}, {"ports", "--json"}, {"regs", "3"}, {"regs", "3", "--set", "ir:21=0x1d1"},
		{"linetest", "4"}, {"calibrate", "1"}, {"ring", "2", "--cadences", "1"},
	} {
		if err := commands()[args[0]].run(args[1:]); err != nil {
			t.Errorf("hsctl %s: %v", strings.Join(args, " "), err)
		}
	}
	apiBase = srv.URL + "/nothing-here"
	if err := runProbe(nil); err == nil || !strings.Contains(err.Error(), "--board") {
		t.Errorf("daemon without installer endpoints: %v", err)
	}
}
