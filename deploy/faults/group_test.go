package faults

import (
	"fmt"
	"path/filepath"
	"sync"
	"time"
)

// start starts the process of slot (client id fw-<slot>) and returns it.
func (e *env) start(slot int) *proc {
	e.mu.Lock()
	defer e.mu.Unlock()
	for len(e.slots) <= slot {
		e.slots = append(e.slots, nil)
	}
	e.gens[slot]++
	id := fmt.Sprintf("fw-%d", slot)
	name := fmt.Sprintf("%s#%d", id, e.gens[slot])
	p, err := startProc(name, e.bin, e.config, filepath.Join(e.dir, name+".log"), e.procEnv(id))
	if err != nil {
		e.failures = append(e.failures, err.Error())
		return nil
	}
	e.slots[slot] = p
	e.all = append(e.all, p)
	go e.watch(p)
	return p
}

// watch records a process that exits without the test telling it to.
func (e *env) watch(p *proc) {
	<-p.done
	if !p.stopping.Load() {
		e.fail("%s %v (%v); last lines:\n%s", p.name, errUnexpectedExit, p.exitErr, p.tail(20))
	}
}

// running returns the slots whose process runs.
func (e *env) running() []int {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []int
	for i, p := range e.slots {
		if p != nil && p.alive() {
			out = append(out, i)
		}
	}
	return out
}

// take removes the process of slot from the running ones and returns it.
func (e *env) take(slot int) *proc {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.slots[slot]
	e.slots[slot] = nil
	return p
}

// kill9 kills the process of slot with SIGKILL.
func (e *env) kill9(slot int) {
	if p := e.take(slot); p != nil {
		p.kill()
	}
}

// stop sends SIGTERM to the process of slot and checks the shutdown: an
// exit status of 0 within shutdownTimeout, and nothing left uncommitted.
// It returns how long the exit took.
func (e *env) stop(slot int) time.Duration {
	p := e.take(slot)
	if p == nil {
		return 0
	}
	took, err := p.term(shutdownTimeout + 20*time.Second)
	if err != nil {
		e.fail("%v; last lines:\n%s", err, p.tail(20))
	}
	if took > shutdownTimeout {
		e.fail("%s took %s to exit after SIGTERM, over shutdown_timeout %s",
			p.name, took.Round(time.Millisecond), shutdownTimeout)
	}
	// The consumer logs these two when work it held stays uncommitted.
	if sent := p.termAt.Load(); sent != nil {
		for _, msg := range []string{"partition left uncommitted", "commit"} {
			if p.warnedSince(*sent, msg) {
				e.fail("%s logged %q after SIGTERM: it did not commit what it held", p.name, msg)
			}
		}
	}
	return took
}

// stopAll stops every running process at once, each with the checks of
// stop, and returns the slowest exit.
func (e *env) stopAll() time.Duration {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var slowest time.Duration
	for _, slot := range e.running() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			took := e.stop(slot)
			mu.Lock()
			slowest = max(slowest, took)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return slowest
}

// killAll kills whatever still runs; it is the scenario's last cleanup.
func (e *env) killAll() {
	e.mu.Lock()
	all := append([]*proc(nil), e.all...)
	e.mu.Unlock()
	for _, p := range all {
		if p.alive() {
			p.kill()
		}
	}
}

// peakRSS returns the highest resident set size any process reached, in
// KiB, and the process that reached it.
func (e *env) peakRSS() (int64, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var peak int64
	var who string
	for _, p := range e.all {
		if v := p.peakRSS.Load(); v > peak {
			peak, who = v, p.name
		}
	}
	return peak, who
}
