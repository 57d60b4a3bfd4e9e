package config

import (
	"strings"
	"testing"
)

func TestCDRKeys(t *testing.T) {
	for _, c := range []struct {
		name, yaml string
		on         bool
		bytes      int64
		recent     int
	}{
		{"defaults", "country: us\n", true, 4 << 20, 1000},
		{"bytes", "cdr:\n  max_size: 1048576\n", true, 1 << 20, 1000},
		{"KiB", "cdr:\n  max_size: 512KiB\n  recent: 50\n", true, 512 << 10, 50},
		{"MiB", "cdr:\n  max_size: 64MiB\n", true, 64 << 20, 1000},
		{"off", "cdr:\n  enabled: false\n", false, 4 << 20, 1000},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse("x.yaml", []byte(c.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.CDR.On() != c.on || cfg.CDR.MaxBytes() != c.bytes || cfg.CDR.Recent != c.recent {
				t.Errorf("on %v bytes %d recent %d, want %v %d %d", cfg.CDR.On(), cfg.CDR.MaxBytes(), cfg.CDR.Recent,
					c.on, c.bytes, c.recent)
			}
		})
	}
	if d := Default(); !d.CDR.On() || d.CDR.MaxBytes() != 4<<20 {
		t.Errorf("default cdr %+v", d.CDR)
	}
}

func TestCDRErrors(t *testing.T) {
	for _, c := range []struct{ name, yaml, want string }{
		{"unit", "cdr:\n  max_size: 4MB\n", `bad.yaml:2: cdr.max_size: "4MB" is not a size`},
		{"small", "cdr:\n  max_size: 4KiB\n", "bad.yaml:2: cdr.max_size: 4KiB is outside 64KiB to 64MiB"},
		{"large", "cdr:\n  max_size: 65MiB\n", "bad.yaml:2: cdr.max_size: 65MiB is outside"},
		{"recent", "cdr:\n  max_size: 1MiB\n  recent: -1\n", "bad.yaml:3: cdr.recent: -1 is outside 1 to 10000"},
		{"recent high", "cdr:\n  recent: 20000\n", "bad.yaml:2: cdr.recent: 20000 is outside"},
		{"unknown", "cdr:\n  max_files: 3\n", "bad.yaml:2: max_files: unknown key (in cdr)"},
		{"enabled type", "cdr:\n  enabled: maybe\n", "bad.yaml:2: "},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}
