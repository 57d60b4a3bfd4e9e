package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// call makes a call from port 1 to extension 101 on port 2, answered and
// hung up, and waits until the daemon has no calls.
func (d *daemon) call() {
	d.t.Helper()
	d.req("POST", "/api/v1/sim/ports/1/hook", map[string]string{"action": "offhook"}, nil)
	d.until(5*time.Second, "port 1 hears dial tone", func() bool { return d.heard(1) == "dialtone" })
	d.req("POST", "/api/v1/sim/ports/1/dial", map[string]string{"digits": "101", "method": "dtmf"}, nil)
	d.until(10*time.Second, "port 2 rings", func() bool { return d.port(2).Ringing })
	d.req("POST", "/api/v1/sim/ports/2/hook", map[string]string{"action": "offhook"}, nil)
	d.until(3*time.Second, "port 2 stops ringing", func() bool { return !d.port(2).Ringing })
	time.Sleep(300 * time.Millisecond)
	d.req("POST", "/api/v1/sim/ports/1/hook", map[string]string{"action": "onhook"}, nil)
	d.req("POST", "/api/v1/sim/ports/2/hook", map[string]string{"action": "onhook"}, nil)
	d.until(5*time.Second, "no calls", func() bool {
		var c struct {
			Calls []any `json:"calls"`
		}
		d.req("GET", "/api/v1/calls", nil, &c)
		return len(c.Calls) == 0
	})
}

type cdrCall struct {
	ID    uint64    `json:"id"`
	A     string    `json:"a"`
	B     string    `json:"b"`
	Cause string    `json:"cause"`
	Ended time.Time `json:"ended"`
	Talk  float64   `json:"talk_s"`
}

func (d *daemon) cdr(query string) (calls []cdrCall, body []byte) {
	d.t.Helper()
	d.req("GET", "/api/v1/cdr"+query, nil, &body)
	var out struct {
		Calls []cdrCall `json:"calls"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		d.t.Fatal(err)
	}
	return out.Calls, body
}

// TestCDRSurvivesRestart: a call's record is on disk after SIGTERM, and
// the restarted daemon lists it exactly as before, numbers the next call
// after it and lists that one first.
func TestCDRSurvivesRestart(t *testing.T) {
	data := t.TempDir()
	d := startDaemonIn(t, "us", data)
	d.call()
	var before []byte
	d.until(5*time.Second, "the call in the CDR", func() bool {
		calls, body := d.cdr("")
		before = body
		return len(calls) == 1
	})
	d.stop()

	b, err := os.ReadFile(filepath.Join(data, "cdr", "cdr.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte("\n")); n != 1 || !bytes.Contains(b, []byte(`"to":"101"`)) {
		t.Errorf("call log on disk: %d lines:\n%s", n, b)
	}

	d = startDaemonIn(t, "us", data)
	first, after := d.cdr("")
	if !bytes.Equal(after, before) {
		t.Errorf("after the restart the CDR is\n%s\nbefore it was\n%s", after, before)
	}
	if len(first) != 1 || first[0].A != "fxs/1" || first[0].B != "fxs/2" || first[0].Cause != "normal" || first[0].Talk <= 0 {
		t.Fatalf("record %+v", first)
	}
	d.call()
	var calls []cdrCall
	d.until(5*time.Second, "the second call in the CDR", func() bool {
		calls, _ = d.cdr("")
		return len(calls) == 2
	})
	if calls[0].ID <= calls[1].ID || calls[1].ID != first[0].ID {
		t.Errorf("calls %+v: the new one should be first, with a higher id", calls)
	}
	since := first[0].Ended.Add(time.Millisecond).Format(time.RFC3339Nano)
	if got, _ := d.cdr("?since=" + since); len(got) != 1 || got[0].ID != calls[0].ID {
		t.Errorf("since %s: %+v", since, got)
	}
	d.stop()
}

// TestCDRUnusableData: a data directory the call log cannot live in is
// logged and the daemon runs on, listing calls from memory.
func TestCDRUnusableData(t *testing.T) {
	data := t.TempDir()
	if err := os.WriteFile(filepath.Join(data, "cdr"), []byte("in the way"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemonIn(t, "us", data)
	// Read before anything else is logged: the reader goroutine wrote
	// everything up to the ready line before startDaemonIn returned.
	if log := d.stderr.String(); !strings.Contains(log, "call log not kept on disk") || !strings.Contains(log, "not a directory") {
		t.Errorf("not logged:\n%s", log)
	}
	if calls, _ := d.cdr(""); len(calls) != 0 {
		t.Errorf("calls %+v", calls)
	}
	d.stop()
}
