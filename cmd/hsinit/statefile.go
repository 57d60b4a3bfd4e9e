package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// LoadState reads the boot state from path. A missing file is a freshly
// flashed card (DefaultState); a corrupt one is reported, and the caller
// falls back to DefaultState so a bad write can never stop the box booting.
func LoadState(path string) (BootState, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return DefaultState(), nil
	}
	if err != nil {
		return DefaultState(), fmt.Errorf("read boot state: %w", err)
	}
	var s BootState
	if err := json.Unmarshal(b, &s); err != nil {
		return DefaultState(), fmt.Errorf("parse boot state %s: %w", path, err)
	}
	if _, err := ParseSlot(string(s.Primary)); err != nil {
		return DefaultState(), fmt.Errorf("boot state %s: primary: %w", path, err)
	}
	return s, nil
}

// SaveState writes s to path atomically: a temporary file, fsynced, renamed
// over the old one, and the directory fsynced, so a power cut leaves either
// the old or the new state, never half of one.
func SaveState(path string, s BootState) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode boot state: %w", err)
	}
	return writeFileAtomic(path, append(b, '\n'), 0o644)
}

func writeFileAtomic(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("atomic write %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("atomic write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("atomic write %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return fmt.Errorf("atomic write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("atomic write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("atomic write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("atomic write %s: %w", path, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("atomic write %s: %w", path, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("atomic write %s: sync dir: %w", path, err)
	}
	return nil
}
