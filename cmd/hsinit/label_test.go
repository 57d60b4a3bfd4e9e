package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
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

func TestScanPartitionsAndFindAB(t *testing.T) {
	root := t.TempDir()
	class, devices, dev := filepath.Join(root, "class"), filepath.Join(root, "devices"), filepath.Join(root, "dev")
	for _, d := range []string{class, dev} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Both root slots carry the label rootfs: an update copies the image whole.
	disks := []struct {
		disk, name string
		num        int
		img        []byte
	}{
		{"vda", "vda", 0, ext4Image("wholedisk")}, // not a partition: skipped
		{"vda", "vda1", 1, fatImage(true, LabelBoot)},
		{"vda", "vda2", 2, ext4Image("rootfs")},
		{"vda", "vda3", 3, ext4Image("rootfs")},
		{"vda", "vda4", 4, ext4Image(LabelData)},
		{"vdb", "vdb1", 1, make([]byte, 4096)}, // another disk, unformatted
	}
	for _, d := range disks {
		dir := filepath.Join(devices, d.disk)
		if d.num > 0 {
			dir = filepath.Join(dir, d.name)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if d.num > 0 {
			if err := os.WriteFile(filepath.Join(dir, "partition"), []byte(fmt.Sprintf("%d\n", d.num)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Symlink(dir, filepath.Join(class, d.name)); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dev, d.name), d.img, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	parts, err := ScanPartitions(class, dev)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 5 {
		t.Fatalf("found %d partitions: %+v", len(parts), parts)
	}
	l, ok := FindAB(parts)
	if !ok {
		t.Fatalf("FindAB failed on %+v", parts)
	}
	for name, p := range map[string]Partition{"vda1": l.Boot, "vda2": l.Root(SlotA), "vda3": l.Root(SlotB), "vda4": l.Data} {
		if p.Dev != filepath.Join(dev, name) || p.Disk != "vda" {
			t.Errorf("%s: got %+v", name, p)
		}
	}
	if l.Boot.Label != LabelBoot || l.Boot.FS != FSVFAT {
		t.Errorf("boot partition %+v", l.Boot)
	}
	if _, ok := ByLabel(parts, "wholedisk"); ok {
		t.Error("a whole disk was taken for a partition")
	}
	// Without the data label there is no A/B disk (e.g. a plain initramfs boot).
	if _, ok := FindAB(parts[:3]); ok {
		t.Error("FindAB succeeded without a data partition")
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
