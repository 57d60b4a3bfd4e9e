package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// mount is one filesystem hsinit mounts itself.
type mount struct {
	source, target, fstype string
	flags                  uintptr
	data                   string
}

// earlyMounts are the kernel filesystems PID 1 needs before anything else.
// devtmpfs is not mounted by the kernel on an initramfs root (CONFIG_DEVTMPFS_MOUNT
// applies to disk roots only), so it is mounted here when missing.
func earlyMounts() []mount {
	return []mount{
		{"proc", "/proc", "proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
		{"sysfs", "/sys", "sysfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
		{"devtmpfs", "/dev", "devtmpfs", unix.MS_NOSUID, "mode=0755"},
		{"devpts", "/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "gid=5,mode=620"},
		{"tmpfs", "/run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755"},
		{"tmpfs", "/tmp", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777"},
	}
}

// mountEarly mounts what is not mounted yet (after a switch of root the
// moved mounts are already in place).
func mountEarly() error {
	var errs []error
	for _, m := range earlyMounts() {
		if isMountPoint(m.target) {
			continue
		}
		if err := os.MkdirAll(m.target, 0o755); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := unix.Mount(m.source, m.target, m.fstype, m.flags, m.data); err != nil && !errors.Is(err, unix.EBUSY) {
			errs = append(errs, fmt.Errorf("mount %s: %w", m.target, err))
		}
	}
	return errors.Join(errs...)
}

// isMountPoint reports whether path is on a different device from its parent.
func isMountPoint(path string) bool {
	var st, pst unix.Stat_t
	if unix.Stat(path, &st) != nil || unix.Stat(filepath.Dir(path), &pst) != nil {
		return false
	}
	return st.Dev != pst.Dev
}

// mountPart mounts a partition found by label.
func mountPart(p Partition, target string, readOnly bool) error {
	if err := os.MkdirAll(target, 0o755); err != nil {
		return fmt.Errorf("mount %s: %w", p.Dev, err)
	}
	flags := uintptr(unix.MS_NOATIME | unix.MS_NODEV | unix.MS_NOSUID)
	data := ""
	if readOnly {
		flags |= unix.MS_RDONLY
	}
	if p.FS == FSVFAT {
		flags |= unix.MS_NOEXEC
		data = "umask=0022,shortname=mixed"
	}
	if err := unix.Mount(p.Dev, target, string(p.FS), flags, data); err != nil {
		return fmt.Errorf("mount %s on %s: %w", p.Dev, target, err)
	}
	return nil
}

// waitAB scans until the A/B disk is complete or wait has passed: SD cards
// are probed asynchronously, so the first scan may see nothing.
func waitAB(wait time.Duration) (ABLayout, bool) {
	deadline := time.Now().Add(wait)
	for {
		parts, _ := ScanPartitions("/sys/class/block", "/dev")
		if l, ok := FindAB(parts); ok || time.Now().After(deadline) {
			return l, ok
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// switchRoot moves the mounts under newRoot, makes it the root and executes
// init there. It only returns on error. The initramfs stays in memory: it
// holds hsinit alone on an A/B boot, a few MB.
func switchRoot(newRoot string, moves []string, init string, env []string) error {
	for _, m := range moves {
		if !isMountPoint(m) {
			continue
		}
		if err := os.MkdirAll(newRoot+m, 0o755); err != nil {
			return fmt.Errorf("switch root: %w", err)
		}
		if err := unix.Mount(m, newRoot+m, "", unix.MS_MOVE, ""); err != nil {
			return fmt.Errorf("switch root: move %s: %w", m, err)
		}
	}
	if err := unix.Chdir(newRoot); err != nil {
		return fmt.Errorf("switch root: %w", err)
	}
	if err := unix.Mount(newRoot, "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("switch root: move root: %w", err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("switch root: chroot: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("switch root: %w", err)
	}
	return fmt.Errorf("switch root: exec %s: %w", init, unix.Exec(init, []string{init}, env))
}

// bringUpLoopback sets lo up; eth0 is configured by the kernel (ip= on the
// command line) or, under BusyBox init, by ifupdown.
func bringUpLoopback() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("loopback: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("loopback: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("loopback: get flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP | unix.IFF_RUNNING)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("loopback: set flags: %w", err)
	}
	return nil
}

// addresses lists the unit's non-loopback addresses, for the console.
func addresses() []string {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []string
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			out = append(out, ifc.Name+" "+a.String())
		}
	}
	return out
}

// currentSlot tells which root slot is mounted on / by comparing device
// numbers, so it works whoever chose the slot (hsinit's chooser, a bootloader).
func currentSlot(disk ABLayout, onDisk bool) (Slot, bool) {
	var root unix.Stat_t
	if !onDisk || unix.Stat("/", &root) != nil {
		return "", false
	}
	for _, s := range []Slot{SlotA, SlotB} {
		var st unix.Stat_t
		if unix.Stat(disk.Root(s).Dev, &st) == nil && st.Rdev == root.Dev {
			return s, true
		}
	}
	return "", false
}

// shutdown syncs, unmounts the writable filesystems and powers off or reboots.
func shutdown(reboot bool) {
	unix.Sync()
	for _, m := range []string{"/data", "/boot"} {
		_ = unix.Unmount(m, 0)
	}
	unix.Sync()
	cmd := unix.LINUX_REBOOT_CMD_POWER_OFF
	if reboot {
		cmd = unix.LINUX_REBOOT_CMD_RESTART
	}
	_ = unix.Reboot(cmd)
	// Reboot only returns on error; PID 1 must not exit (the kernel would panic).
	select {}
}

// readCmdline returns /proc/cmdline, or "" outside a booted system.
func readCmdline() string {
	b, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// consoleFile opens /dev/console for a PID 1 whose kernel gave it no stdio
// (the initramfs has no /dev/console node until devtmpfs is mounted).
func consoleFile() *os.File {
	if _, err := unix.FcntlInt(2, unix.F_GETFD, 0); err == nil {
		return os.Stderr
	}
	f, err := os.OpenFile("/dev/console", os.O_RDWR, 0)
	if err != nil {
		return os.Stderr
	}
	for fd := 0; fd <= 2; fd++ {
		_ = unix.Dup2(int(f.Fd()), fd)
	}
	return os.Stderr
}
