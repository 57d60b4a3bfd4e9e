package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/hookswitch/hookswitch/hal/sim/simapi"
)

const simUsage = `usage: hsctl sim COMMAND
  ports [--json]                    every simulated phone: hook, ringing, lamp, what it hears, caller ID
  hook N offhook|onhook|flash [MS]  lift, hang up or flash the phone on port N
  dial N DIGITS [--pulse]           dial by DTMF (default) or rotary pulses
  play N FILE.wav                   play an 8 kHz 16-bit mono WAV into the mouthpiece
  audio N [--seconds S] [-o FILE]   save what the earpiece heard in the last S seconds (default 5) as WAV
  tones N                           call-progress tones heard, with times`

func runSim(args []string) error {
	if len(args) == 0 || args[0] == "help" {
		fmt.Println(simUsage)
		return nil
	}
	port := func() (string, error) {
		if len(args) < 2 {
			return "", errors.New(simUsage)
		}
		if _, err := strconv.Atoi(args[1]); err != nil {
			return "", fmt.Errorf("port %q is not a number", args[1])
		}
		return args[1], nil
	}
	switch args[0] {
	case "ports":
		fs := flag.NewFlagSet("sim ports", flag.ContinueOnError)
		asJSON := fs.Bool("json", false, "print JSON")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		var out struct {
			Ports []simapi.Port `json:"ports"`
		}
		if err := callJSON("GET", "/api/v1/sim/ports", nil, &out); err != nil {
			return err
		}
		if *asJSON {
			return printJSON(out)
		}
		tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PORT\tHOOK\tRINGING\tLAMP\tHEARS\tCALLER ID")
		for _, p := range out.Ports {
			cid := "-"
			if p.CallerID != nil {
				cid = fmt.Sprintf("%s %q %s", p.CallerID.Number, p.CallerID.Name, p.CallerID.Time)
			}
			fmt.Fprintf(tw, "%d\t%s\t%v\t%v\t%s\t%s\n", p.Port, p.Hook, p.Ringing, p.Lamp, p.Heard, cid)
		}
		return tw.Flush()
	case "hook":
		n, err := port()
		if err != nil {
			return err
		}
		if len(args) < 3 {
			return errors.New(simUsage)
		}
		req := map[string]any{"action": args[2]}
		if len(args) > 3 {
			ms, err := strconv.Atoi(args[3])
			if err != nil {
				return fmt.Errorf("flash length %q is not milliseconds", args[3])
			}
			req["ms"] = ms
		}
		var out simapi.Port
		return callJSON("POST", "/api/v1/sim/ports/"+n+"/hook", req, &out)
	case "dial":
		n, err := port()
		if err != nil {
			return err
		}
		fs := flag.NewFlagSet("sim dial", flag.ContinueOnError)
		pulse := fs.Bool("pulse", false, "dial with rotary pulses")
		if len(args) < 3 {
			return errors.New(simUsage)
		}
		if err := fs.Parse(args[3:]); err != nil {
			return err
		}
		method := "dtmf"
		if *pulse {
			method = "pulse"
		}
		return callJSON("POST", "/api/v1/sim/ports/"+n+"/dial", map[string]string{"digits": args[2], "method": method}, nil)
	case "play":
		n, err := port()
		if err != nil {
			return err
		}
		if len(args) < 3 {
			return errors.New(simUsage)
		}
		b, err := os.ReadFile(args[2])
		if err != nil {
			return err
		}
		_, err = call("POST", "/api/v1/sim/ports/"+n+"/play", "audio/wav", b)
		return err
	case "audio":
		n, err := port()
		if err != nil {
			return err
		}
		fs := flag.NewFlagSet("sim audio", flag.ContinueOnError)
		secs := fs.Float64("seconds", 5, "how many seconds")
		out := fs.String("o", "port"+n+".wav", "output file")
		if err := fs.Parse(args[2:]); err != nil {
			return err
		}
		b, err := call("GET", fmt.Sprintf("/api/v1/sim/ports/%s/audio?seconds=%g", n, *secs), "", nil)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*out, b, 0o644); err != nil {
			return err
		}
		fmt.Printf("%s: %.1f s of audio\n", *out, float64(len(b)-44)/16000)
		return nil
	case "tones":
		n, err := port()
		if err != nil {
			return err
		}
		var out map[string]any
		if err := callJSON("GET", "/api/v1/sim/ports/"+n+"/tones", nil, &out); err != nil {
			return err
		}
		return printJSON(out)
	}
	return fmt.Errorf("unknown sim command %q\n%s", args[0], simUsage)
}
