package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func ext4Image(label string) []byte {
	b := make([]byte, 4096)
	binary.LittleEndian.PutUint16(b[1024+0x38:], 0xEF53)
	copy(b[1024+0x78:], label)
	return b
}

func fatImage(fat32 bool, label string) []byte {
	b := make([]byte, 4096)
	b[510], b[511] = 0x55, 0xAA
	sig, lab, typ := 38, 43, 54
	if fat32 {
		sig, lab, typ = 66, 71, 82
		copy(b[typ:], "FAT32   ")
	} else {
		binary.LittleEndian.PutUint16(b[22:], 32) // sectors per FAT, non-zero on FAT16
		copy(b[typ:], "FAT16   ")
	}
	b[sig] = 0x29
	copy(b[lab:lab+11], label+"           ")
	return b
}

func TestReadLabel(t *testing.T) {
	tests := []struct {
		name  string
		img   []byte
		fs    FSType
		label string
		err   error
	}{
		{"ext4", ext4Image("rootA"), FSExt4, "rootA", nil},
		{"ext4 full 16 bytes", ext4Image("0123456789abcdef"), FSExt4, "0123456789abcdef", nil},
		{"fat16", fatImage(false, "HSBOOT"), FSVFAT, "HSBOOT", nil},
		{"fat32", fatImage(true, "HSBOOT"), FSVFAT, "HSBOOT", nil},
		{"fat no name", fatImage(true, "NO NAME"), FSVFAT, "", nil},
		{"zeros", make([]byte, 4096), "", "", ErrNoLabel},
		{"short device", []byte{1, 2, 3}, "", "", ErrNoLabel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, label, err := ReadLabel(bytes.NewReader(tt.img))
			if fs != tt.fs || label != tt.label || !errors.Is(err, tt.err) {
				t.Fatalf("got %q %q %v, want %q %q %v", fs, label, err, tt.fs, tt.label, tt.err)
			}
		})
	}
}

func TestScanPartitions(t *testing.T) {
	root := t.TempDir()
	sys, dev := filepath.Join(root, "sys"), filepath.Join(root, "dev")
	disks := map[string][]byte{
		"vda":  ext4Image("wholedisk"), // not a partition: skipped
		"vda1": fatImage(true, "HSBOOT"),
		"vda2": ext4Image(LabelRootA),
		"vda3": ext4Image(LabelRootB),
		"vda4": ext4Image(LabelData),
		"vda5": make([]byte, 4096), // unformatted
	}
	for name, img := range disks {
		if err := os.MkdirAll(filepath.Join(sys, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if name != "vda" {
			if err := os.WriteFile(filepath.Join(sys, name, "partition"), []byte("1\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.MkdirAll(dev, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dev, name), img, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	parts, err := ScanPartitions(sys, dev)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 4 {
		t.Fatalf("found %d partitions: %+v", len(parts), parts)
	}
	for label, want := range map[string]string{"hsboot": "vda1", LabelRootA: "vda2", LabelRootB: "vda3", LabelData: "vda4"} {
		p, ok := ByLabel(parts, label)
		if !ok || p.Dev != filepath.Join(dev, want) {
			t.Errorf("ByLabel(%q) = %+v, %v; want %s", label, p, ok, want)
		}
	}
	if _, ok := ByLabel(parts, "wholedisk"); ok {
		t.Error("a whole disk was taken for a partition")
	}
}

func TestParseCmdline(t *testing.T) {
	def := ParseCmdline("")
	tests := []struct {
		in   string
		want Options
	}{
		{"console=ttyAMA0 quiet", def},
		{"hs.root=ab hs.rootwait=3s hs.board=sim4", Options{AB: true, RootWait: 3 * time.Second, HealthTimeout: def.HealthTimeout, Board: "sim4", Init: def.Init}},
		{"hs.health_timeout=5s hs.init=/sbin/hsinit", Options{RootWait: def.RootWait, HealthTimeout: 5 * time.Second, Init: "/sbin/hsinit"}},
		{"hs.rootwait=soon hs.health_timeout=-1s hs.init=relative hs.root=a", def},
	}
	for _, tt := range tests {
		if got := ParseCmdline(tt.in); got != tt.want {
			t.Errorf("ParseCmdline(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}
