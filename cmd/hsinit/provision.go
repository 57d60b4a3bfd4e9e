package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Layout names the directories provisioning works on. On the appliance they
// are /data, /boot and /etc; tests point them at temporary directories.
type Layout struct {
	Data string // the writable data partition
	Boot string // the boot FAT partition ("" when there is none)
	Etc  string // the read-only root's /etc, holding the default hookswitch.yaml
}

// Paths inside the data partition. The daemon reads its secrets from
// <data>/secrets and its configuration from <data>/config/hookswitch.yaml.
const (
	dirConfig        = "config"
	dirSecrets       = "secrets"
	dirBootState     = "boot" // slot.json: survives a factory reset
	fileConfig       = "hookswitch.yaml"
	fileAdminPass    = "admin-password"
	fileRealmSecret  = "sip-realm-secret"
	fileProvisioned  = ".provisioned"
	fileImportedSum  = ".imported-sha256"
	fileFactoryReset = ".factory-reset"
)

// dataDirs is the layout created on first boot; the daemon owns what goes in them.
func dataDirs() []string {
	return []string{dirConfig, dirSecrets, dirBootState, "store", "voicemail", "log"}
}

// passwordAlphabet leaves out 0/O, 1/l/I so a password read off a serial
// console can be typed back without guessing.
const passwordAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// Provisioned is what Provision did, for the console log.
type Provisioned struct {
	FirstBoot     bool
	AdminPassword string // set only on first boot, when it is printed
	RealmSecret   string // set only on first boot
	ConfigPath    string
	Imported      bool // hookswitch.yaml was taken from the boot partition
	FactoryReset  bool
}

// Provision prepares the data partition before the daemon starts: it honours
// a pending factory reset, creates the layout, generates the per-unit secrets
// once, and installs the configuration. rnd is crypto/rand.Reader on the box.
func Provision(l Layout, rnd io.Reader, now time.Time) (Provisioned, error) {
	var p Provisioned
	if _, err := os.Stat(filepath.Join(l.Data, fileFactoryReset)); err == nil {
		if err := wipeData(l.Data); err != nil {
			return p, err
		}
		p.FactoryReset = true
	}
	for _, d := range dataDirs() {
		if err := os.MkdirAll(filepath.Join(l.Data, d), 0o755); err != nil {
			return p, fmt.Errorf("provision: %w", err)
		}
	}
	if err := os.Chmod(filepath.Join(l.Data, dirSecrets), 0o700); err != nil {
		return p, fmt.Errorf("provision: %w", err)
	}
	if err := provisionSecrets(l, rnd, now, &p); err != nil {
		return p, err
	}
	if err := provisionConfig(l, &p); err != nil {
		return p, err
	}
	return p, nil
}

// provisionSecrets writes the secrets, then the marker. A crash between the
// two repeats the console print on the next boot rather than losing it.
func provisionSecrets(l Layout, rnd io.Reader, now time.Time, p *Provisioned) error {
	marker := filepath.Join(l.Data, fileProvisioned)
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	p.FirstBoot = true
	passPath := filepath.Join(l.Data, dirSecrets, fileAdminPass)
	realmPath := filepath.Join(l.Data, dirSecrets, fileRealmSecret)
	pass, err1 := os.ReadFile(passPath)
	realm, err2 := os.ReadFile(realmPath)
	if err1 != nil || err2 != nil {
		pw, err := randomPassword(rnd, 16)
		if err != nil {
			return err
		}
		var secret [32]byte
		if _, err := io.ReadFull(rnd, secret[:]); err != nil {
			return fmt.Errorf("provision: realm secret: %w", err)
		}
		pass, realm = []byte(pw), []byte(hex.EncodeToString(secret[:]))
		if err := writeFileAtomic(passPath, append(pass, '\n'), 0o600); err != nil {
			return fmt.Errorf("provision: %w", err)
		}
		if err := writeFileAtomic(realmPath, append(realm, '\n'), 0o600); err != nil {
			return fmt.Errorf("provision: %w", err)
		}
	}
	p.AdminPassword = strings.TrimSpace(string(pass))
	p.RealmSecret = strings.TrimSpace(string(realm))
	stamp := fmt.Sprintf("provisioned=%s\n", now.UTC().Format(time.RFC3339))
	if err := writeFileAtomic(marker, []byte(stamp), 0o644); err != nil {
		return fmt.Errorf("provision: %w", err)
	}
	return nil
}

// randomPassword draws n characters uniformly from passwordAlphabet,
// rejecting bytes past the largest multiple of its length to avoid modulo bias.
func randomPassword(rnd io.Reader, n int) (string, error) {
	limit := 256 - 256%len(passwordAlphabet)
	out := make([]byte, 0, n)
	var b [1]byte
	for len(out) < n {
		if _, err := io.ReadFull(rnd, b[:]); err != nil {
			return "", fmt.Errorf("provision: admin password: %w", err)
		}
		if int(b[0]) >= limit {
			continue
		}
		out = append(out, passwordAlphabet[int(b[0])%len(passwordAlphabet)])
	}
	return string(out), nil
}

// ErrBadImport is returned when the boot partition's hookswitch.yaml is not YAML.
var ErrBadImport = errors.New("provision: boot partition hookswitch.yaml is not valid YAML")

// provisionConfig installs the configuration. The boot partition's copy is
// imported whenever its content differs from the last import, so an installer
// can edit the card on any PC again, while edits made on the box survive
// reboots with an unchanged card. Without any import the image default is
// used, and without that the daemon's embedded default (ConfigPath "").
func provisionConfig(l Layout, p *Provisioned) error {
	cfg := filepath.Join(l.Data, dirConfig, fileConfig)
	p.ConfigPath = cfg
	if l.Boot != "" {
		src, err := os.ReadFile(filepath.Join(l.Boot, fileConfig))
		switch {
		case err == nil:
			return importConfig(l, cfg, src, p)
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("provision: %w", err)
		}
	}
	if _, err := os.Stat(cfg); err == nil {
		return nil
	}
	def, err := os.ReadFile(filepath.Join(l.Etc, fileConfig))
	if errors.Is(err, fs.ErrNotExist) {
		p.ConfigPath = "" // the daemon's embedded default
		return nil
	}
	if err != nil {
		return fmt.Errorf("provision: default config: %w", err)
	}
	if err := writeFileAtomic(cfg, def, 0o644); err != nil {
		return fmt.Errorf("provision: %w", err)
	}
	return nil
}

func importConfig(l Layout, cfg string, src []byte, p *Provisioned) error {
	sum := sha256.Sum256(src)
	sumHex := hex.EncodeToString(sum[:]) + "\n"
	sumPath := filepath.Join(l.Data, dirConfig, fileImportedSum)
	if old, err := os.ReadFile(sumPath); err == nil && bytes.Equal(old, []byte(sumHex)) {
		if _, err := os.Stat(cfg); err == nil {
			return nil
		}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return fmt.Errorf("%w: %w", ErrBadImport, err)
	}
	if old, err := os.ReadFile(cfg); err == nil {
		if err := writeFileAtomic(cfg+".prev", old, 0o644); err != nil {
			return fmt.Errorf("provision: %w", err)
		}
	}
	if err := writeFileAtomic(cfg, src, 0o644); err != nil {
		return fmt.Errorf("provision: %w", err)
	}
	if err := writeFileAtomic(sumPath, []byte(sumHex), 0o644); err != nil {
		return fmt.Errorf("provision: %w", err)
	}
	p.Imported = true
	return nil
}

// wipeData empties the data partition except the slot state: a factory reset
// keeps the installed slots and which one is good.
func wipeData(data string) error {
	entries, err := os.ReadDir(data)
	if err != nil {
		return fmt.Errorf("factory reset: %w", err)
	}
	for _, e := range entries {
		if e.Name() == dirBootState || e.Name() == "lost+found" {
			continue
		}
		if err := os.RemoveAll(filepath.Join(data, e.Name())); err != nil {
			return fmt.Errorf("factory reset: %w", err)
		}
	}
	return nil
}

// ProvisionBanner is the once-only console text of a first boot.
func ProvisionBanner(p Provisioned) string {
	if !p.FirstBoot {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n================ hookswitch first boot ================\n")
	fmt.Fprintf(&b, " admin password:   %s\n", p.AdminPassword)
	fmt.Fprintf(&b, " SIP realm secret: %s\n", p.RealmSecret)
	b.WriteString(" Note them now: they are shown on this console only once.\n")
	b.WriteString("=======================================================\n")
	return b.String()
}
