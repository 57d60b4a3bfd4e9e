package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newLayout(t *testing.T) Layout {
	t.Helper()
	root := t.TempDir()
	l := Layout{Data: filepath.Join(root, "data"), Boot: filepath.Join(root, "boot"), Etc: filepath.Join(root, "etc")}
	for _, d := range []string{l.Data, l.Boot, l.Etc} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(l.Etc, fileConfig), []byte("sip: {listen: 0.0.0.0:5060}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return l
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFirstBootThenSecondBoot(t *testing.T) {
	l := newLayout(t)
	p, err := Provision(l, rand.Reader, t0)
	if err != nil {
		t.Fatal(err)
	}
	if !p.FirstBoot || len(p.AdminPassword) != 16 || len(p.RealmSecret) != 64 {
		t.Fatalf("first boot: %+v", p)
	}
	for _, c := range p.AdminPassword {
		if !strings.ContainsRune(passwordAlphabet, c) {
			t.Fatalf("password %q has %q outside the alphabet", p.AdminPassword, c)
		}
	}
	banner := ProvisionBanner(p)
	if !strings.Contains(banner, p.AdminPassword) || !strings.Contains(banner, p.RealmSecret) {
		t.Fatalf("banner lacks the secrets:\n%s", banner)
	}
	for _, d := range dataDirs() {
		if fi, err := os.Stat(filepath.Join(l.Data, d)); err != nil || !fi.IsDir() {
			t.Fatalf("layout dir %s: %v", d, err)
		}
	}
	fi, err := os.Stat(filepath.Join(l.Data, dirSecrets, fileAdminPass))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin password file: %v %v", fi, err)
	}
	if got := read(t, p.ConfigPath); got != "sip: {listen: 0.0.0.0:5060}\n" {
		t.Fatalf("default config not installed: %q", got)
	}

	p2, err := Provision(l, rand.Reader, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if p2.FirstBoot || p2.AdminPassword != "" || ProvisionBanner(p2) != "" {
		t.Fatalf("second boot printed or regenerated secrets: %+v", p2)
	}
	if got := strings.TrimSpace(read(t, filepath.Join(l.Data, dirSecrets, fileAdminPass))); got != p.AdminPassword {
		t.Fatalf("password changed across boots: %q → %q", p.AdminPassword, got)
	}
}

func TestSecretsDifferPerUnit(t *testing.T) {
	a, err := Provision(newLayout(t), rand.Reader, t0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Provision(newLayout(t), rand.Reader, t0)
	if err != nil {
		t.Fatal(err)
	}
	if a.AdminPassword == b.AdminPassword || a.RealmSecret == b.RealmSecret {
		t.Fatal("two units got the same secrets")
	}
}

func TestPasswordRejectsBiasedBytes(t *testing.T) {
	// 255 lies past the largest multiple of len(alphabet) and must be skipped.
	src := bytes.NewReader([]byte{255, 0, 255, 1})
	pw, err := randomPassword(src, 2)
	if err != nil || pw != passwordAlphabet[0:2] {
		t.Fatalf("randomPassword = %q, %v", pw, err)
	}
	if _, err := randomPassword(bytes.NewReader(nil), 1); err == nil {
		t.Fatal("no error from an exhausted random source")
	}
}

func TestCrashBeforeMarkerReprintsSameSecrets(t *testing.T) {
	l := newLayout(t)
	p, err := Provision(l, rand.Reader, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(l.Data, fileProvisioned)); err != nil {
		t.Fatal(err)
	}
	p2, err := Provision(l, rand.Reader, t0)
	if err != nil {
		t.Fatal(err)
	}
	if !p2.FirstBoot || p2.AdminPassword != p.AdminPassword {
		t.Fatalf("after a crash before the marker: %+v, want the same password printed again", p2)
	}
}

func TestBootPartitionImport(t *testing.T) {
	l := newLayout(t)
	bootCfg := filepath.Join(l.Boot, fileConfig)
	write := func(s string) {
		if err := os.WriteFile(bootCfg, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("country: de\n")
	p, err := Provision(l, rand.Reader, t0)
	if err != nil || !p.Imported || read(t, p.ConfigPath) != "country: de\n" {
		t.Fatalf("first import: %+v %v", p, err)
	}
	// Edited on the box, card unchanged: the box's edit survives a reboot.
	if err := os.WriteFile(p.ConfigPath, []byte("country: fr\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err = Provision(l, rand.Reader, t0)
	if err != nil || p.Imported || read(t, p.ConfigPath) != "country: fr\n" {
		t.Fatalf("unchanged card re-imported: %+v %v", p, err)
	}
	// The installer edits the card again: it is imported, the old one kept.
	write("country: it\n")
	p, err = Provision(l, rand.Reader, t0)
	if err != nil || !p.Imported || read(t, p.ConfigPath) != "country: it\n" {
		t.Fatalf("changed card not imported: %+v %v", p, err)
	}
	if got := read(t, p.ConfigPath+".prev"); got != "country: fr\n" {
		t.Fatalf(".prev = %q", got)
	}
	// Garbage on the card is refused and the running config kept.
	write("country: [unclosed\n")
	if _, err := Provision(l, rand.Reader, t0); !errors.Is(err, ErrBadImport) {
		t.Fatalf("bad YAML: err = %v, want ErrBadImport", err)
	}
	if got := read(t, p.ConfigPath); got != "country: it\n" {
		t.Fatalf("bad import replaced the config: %q", got)
	}
}

func TestFactoryResetKeepsSlotState(t *testing.T) {
	l := newLayout(t)
	p, err := Provision(l, rand.Reader, t0)
	if err != nil {
		t.Fatal(err)
	}
	slotFile := filepath.Join(l.Data, dirBootState, "slot.json")
	if err := SaveState(slotFile, BootState{Primary: SlotB}); err != nil {
		t.Fatal(err)
	}
	vm := filepath.Join(l.Data, "voicemail", "100.wav")
	if err := os.WriteFile(vm, []byte("RIFF"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(l.Data, fileFactoryReset), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p2, err := Provision(l, rand.Reader, t0)
	if err != nil {
		t.Fatal(err)
	}
	if !p2.FactoryReset || !p2.FirstBoot || p2.AdminPassword == p.AdminPassword {
		t.Fatalf("factory reset did not reprovision: %+v", p2)
	}
	if _, err := os.Stat(vm); err == nil {
		t.Fatal("voicemail survived a factory reset")
	}
	if s, err := LoadState(slotFile); err != nil || s.Primary != SlotB {
		t.Fatalf("slot state lost: %+v %v", s, err)
	}
	if _, err := os.Stat(filepath.Join(l.Data, fileFactoryReset)); err == nil {
		t.Fatal("factory-reset request not cleared")
	}
}

func TestNoBootPartition(t *testing.T) {
	l := newLayout(t)
	l.Boot = ""
	p, err := Provision(l, rand.Reader, t0)
	if err != nil || p.Imported || read(t, p.ConfigPath) == "" {
		t.Fatalf("%+v %v", p, err)
	}
	l.Etc = t.TempDir() // no default config either
	if err := os.Remove(p.ConfigPath); err != nil {
		t.Fatal(err)
	}
	if p, err := Provision(l, rand.Reader, t0); err != nil || p.ConfigPath != "" {
		t.Fatalf("without any config: %+v %v; want the daemon's embedded default", p, err)
	}
}
