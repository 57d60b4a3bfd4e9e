package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// Reaper waits for every child of the process. As PID 1 hsinit inherits
// every orphan on the box and must reap them, so exec.Cmd.Wait cannot be
// used (it would race the reaper for the same pids): the children hsinit
// starts itself are waited for through Start's channel instead.
type Reaper struct {
	mu      sync.Mutex
	waiters map[int]chan syscall.WaitStatus
}

// NewReaper returns a Reaper; call Run in its own goroutine.
func NewReaper() *Reaper { return &Reaper{waiters: map[int]chan syscall.WaitStatus{}} }

// Run reaps children until ctx ends, on SIGCHLD and on a slow tick in case
// signals were coalesced.
func (r *Reaper) Run(ctx context.Context) {
	sig := make(chan os.Signal, 8)
	signal.Notify(sig, syscall.SIGCHLD)
	defer signal.Stop(sig)
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		r.reapAll()
		select {
		case <-ctx.Done():
			return
		case <-sig:
		case <-tick.C:
		}
	}
}

func (r *Reaper) reapAll() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
		r.mu.Lock()
		ch, ok := r.waiters[pid]
		delete(r.waiters, pid)
		r.mu.Unlock()
		if ok {
			ch <- ws
		}
	}
}

// Start starts cmd and returns a channel that receives its exit status.
// The lock is held across Start so the reaper cannot reap the child before
// it is registered. cmd must use *os.File (or nil) for its standard streams,
// so that exec starts no copying goroutines that only Wait would end.
func (r *Reaper) Start(cmd *exec.Cmd) (<-chan syscall.WaitStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	ch := make(chan syscall.WaitStatus, 1)
	r.waiters[cmd.Process.Pid] = ch
	return ch, nil
}
