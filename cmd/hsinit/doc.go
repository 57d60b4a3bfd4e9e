// Command hsinit is the Hookswitch appliance's init and supervisor.
//
// As PID 1 in the initramfs it mounts the kernel filesystems, finds the
// boot (FAT), data and root A/B partitions by label, chooses the root slot
// to boot (try-once, see slot.go) and switches to it; when there is no disk
// it runs the system from the initramfs itself. In the root it provisions the
// data partition on first boot (admin password and SIP realm secret from
// crypto/rand, printed once on the console), imports hookswitch.yaml from the
// boot partition, then starts and supervises the hookswitch daemon and marks
// the booted slot good once the daemon answers GET /api/v1/health.
//
// Under BusyBox init (the Buildroot image) the same work runs as
// "hsinit supervise" from /etc/init.d/S95hsinit. "hsinit slot ..." prints and
// changes the slot state; "hsinit rauc-backend ..." is RAUC's custom
// bootloader backend on top of it.
package main
