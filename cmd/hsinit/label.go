package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// FSType is a filesystem recognised from its first sectors.
type FSType string

// The filesystems the appliance's partitions use.
const (
	FSExt4 FSType = "ext4"
	FSVFAT FSType = "vfat"
)

// ErrNoLabel is returned for a block device with no filesystem we recognise.
var ErrNoLabel = errors.New("label: no ext4 or FAT filesystem")

// probeSize covers the ext4 superblock (bytes 1024..2047) and the FAT boot sector.
const probeSize = 2048

// ReadLabel identifies an ext4 or FAT filesystem and returns its volume label.
// Partitions are found by label because the MBR has no partition names and
// the device names differ between boards (mmcblk0p2) and QEMU (vda2).
func ReadLabel(r io.ReaderAt) (FSType, string, error) {
	var b [probeSize]byte
	if _, err := r.ReadAt(b[:], 0); err != nil && !errors.Is(err, io.EOF) {
		return "", "", fmt.Errorf("label: read: %w", err)
	}
	// ext4: superblock at byte 1024; s_magic 0xEF53 at offset 0x38, s_volume_name
	// (16 bytes) at 0x78 (Linux Documentation/filesystems/ext4/super.rst).
	sb := b[1024:]
	if binary.LittleEndian.Uint16(sb[0x38:]) == 0xEF53 {
		return FSExt4, cString(sb[0x78 : 0x78+16]), nil
	}
	// FAT: boot sector signature 0x55 0xAA at 510; BPB_FATSz16 (offset 22) is 0
	// on FAT32, whose extended BPB puts BS_BootSig at 66 and BS_VolLab at 71;
	// FAT12/16 put them at 38 and 43 (Microsoft FAT specification, fatgen103,
	// "Boot Sector and BPB Structure").
	if b[510] == 0x55 && b[511] == 0xAA && bytes.Contains(b[54:90], []byte("FAT")) {
		sig, lab := 38, 43
		if binary.LittleEndian.Uint16(b[22:]) == 0 {
			sig, lab = 66, 71
		}
		if b[sig] != 0x29 {
			return FSVFAT, "", nil // no extended boot signature: no label field
		}
		l := strings.TrimRight(string(b[lab:lab+11]), " ")
		if l == "NO NAME" {
			l = ""
		}
		return FSVFAT, l, nil
	}
	return "", "", ErrNoLabel
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// Partition is a labelled block device found under /sys/class/block.
type Partition struct {
	Dev   string // /dev/vda2
	FS    FSType
	Label string
}

// ScanPartitions reads the label of every partition the kernel lists in
// sysBlock (normally /sys/class/block), opening nodes under devDir.
func ScanPartitions(sysBlock, devDir string) ([]Partition, error) {
	entries, err := os.ReadDir(sysBlock)
	if err != nil {
		return nil, fmt.Errorf("scan partitions: %w", err)
	}
	var out []Partition
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(sysBlock, e.Name(), "partition")); err != nil {
			continue // whole disks, loop and ram devices
		}
		dev := filepath.Join(devDir, e.Name())
		f, err := os.Open(dev)
		if err != nil {
			continue
		}
		fs, label, err := ReadLabel(f)
		f.Close()
		if err != nil {
			continue
		}
		out = append(out, Partition{Dev: dev, FS: fs, Label: label})
	}
	return out, nil
}

// ByLabel returns the first partition with the given label (case-insensitive,
// since FAT labels are stored upper case).
func ByLabel(parts []Partition, label string) (Partition, bool) {
	for _, p := range parts {
		if strings.EqualFold(p.Label, label) {
			return p, true
		}
	}
	return Partition{}, false
}
