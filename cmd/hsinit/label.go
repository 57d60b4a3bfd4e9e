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

// Partition is a block device partition found under /sys/class/block.
type Partition struct {
	Dev   string // /dev/vda2
	Disk  string // vda: the whole disk it belongs to
	Num   int    // 2: its partition number on Disk
	FS    FSType // "" when unformatted or unknown
	Label string
}

// ScanPartitions lists every partition the kernel knows in sysBlock
// (normally /sys/class/block, whose entries link to .../block/<disk>/<part>),
// reading labels from the nodes under devDir.
func ScanPartitions(sysBlock, devDir string) ([]Partition, error) {
	entries, err := os.ReadDir(sysBlock)
	if err != nil {
		return nil, fmt.Errorf("scan partitions: %w", err)
	}
	var out []Partition
	for _, e := range entries {
		dir, err := filepath.EvalSymlinks(filepath.Join(sysBlock, e.Name()))
		if err != nil {
			continue
		}
		num, err := os.ReadFile(filepath.Join(dir, "partition"))
		if err != nil {
			continue // whole disks, loop and ram devices
		}
		p := Partition{Dev: filepath.Join(devDir, e.Name()), Disk: filepath.Base(filepath.Dir(dir))}
		if _, err := fmt.Sscan(string(num), &p.Num); err != nil {
			continue
		}
		if f, err := os.Open(p.Dev); err == nil {
			p.FS, p.Label, _ = ReadLabel(f)
			f.Close()
		}
		out = append(out, p)
	}
	return out, nil
}

// ByLabel returns the first partition with the given label (case-insensitive,
// since FAT labels are stored upper case).
func ByLabel(parts []Partition, label string) (Partition, bool) {
	for _, p := range parts {
		if p.Label != "" && strings.EqualFold(p.Label, label) {
			return p, true
		}
	}
	return Partition{}, false
}

// Partition numbers of the A/B layout (buildroot/board/hookswitch/common/genimage.cfg.in).
const (
	partBoot  = 1
	partRootA = 2
	partRootB = 3
	partData  = 4
)

// ABLayout is the appliance's disk: boot FAT, root A, root B, data.
type ABLayout struct {
	Boot, RootA, RootB, Data Partition
}

// FindAB finds the data partition by its label and the others by number on
// the same disk. Root slots are not found by label because an update writes
// a whole filesystem image, label included, into the inactive slot.
func FindAB(parts []Partition) (ABLayout, bool) {
	var l ABLayout
	data, ok := ByLabel(parts, LabelData)
	if !ok || data.FS != FSExt4 {
		return l, false
	}
	l.Data = data
	found := 0
	for _, p := range parts {
		if p.Disk != data.Disk {
			continue
		}
		switch p.Num {
		case partBoot:
			l.Boot = p
		case partRootA:
			l.RootA, found = p, found+1
		case partRootB:
			l.RootB, found = p, found+1
		}
	}
	return l, found == 2
}

// Root returns the partition of slot s.
func (l ABLayout) Root(s Slot) Partition {
	if s == SlotB {
		return l.RootB
	}
	return l.RootA
}
