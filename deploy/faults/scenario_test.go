package faults

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flarewatch/flarewatch/deploy/testenv"
)

// scenario is one run of the suite: traffic, where the state lives, and
// the fault injected while the processes consume.
type scenario struct {
	name    string
	seed    int64
	records int           // generated records, before duplicates
	pace    time.Duration // how long producing the input takes
	poison  []string      // poison kinds mixed into the input
	flood   int           // distinct flood hashes mixed into the input
	redis   redisKind
	settle  time.Duration // how long the input may take to settle after the fault
	rssMiB  int64         // bound on any process's peak RSS; 0 for none

	// strictCommits fails the scenario on a commit stall (see settle)
	// instead of noting it.
	strictCommits bool

	// fault runs once the processes are started and the producer is
	// running; it returns when the fault is over and every process it
	// stopped is running again.
	fault func(e *env)
}

// runScenario starts three processes, produces the traffic, injects the
// fault, waits until everything is settled, stops the processes and checks
// the outputs against the known answer.
func runScenario(t *testing.T, sc scenario) {
	testenv.RealKafka(t) // skips, or fails under CI, before the build
	flarewatchBinary(t)  // built before the clock starts
	began := time.Now()
	tr := makeTraffic(sc.seed, sc.records, sc.poison, sc.flood)
	e := newEnv(t, sc.redis, &tr, sc.seed)
	r := row{scenario: sc.name, recordsIn: tr.records, expected: len(tr.data.Planted), poison: tr.poison}
	defer func() {
		r.took, r.passed = time.Since(began), !t.Failed()
		e.mu.Lock()
		r.notes = append(r.notes, e.notes...)
		e.mu.Unlock()
		addRow(r)
	}()

	for i := range processes {
		e.start(i)
	}
	e.logf("%d processes started", processes)
	e.produce(sc.pace)
	if sc.fault != nil {
		sc.fault(e)
	}
	if err := e.settle(sc.settle, sc.strictCommits); err != nil {
		e.fail("%v", err)
		e.dumpRunning()
	}
	e.note("final SIGTERM: slowest exit %s", e.stopAll().Round(time.Millisecond))
	e.verify(&r)

	peak, who := e.peakRSS()
	r.peakRSSKiB = peak
	if sc.rssMiB > 0 && peak > sc.rssMiB<<10 {
		e.fail("%s reached %d MiB of RSS, over the bound of %d MiB", who, peak>>10, sc.rssMiB)
	}
	e.report()
}

// report fails the test with every failure recorded, and then shows the
// end of each process's log.
func (e *env) report() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, f := range e.failures {
		e.t.Error(f)
		if i < 4 {
			first, _, _ := strings.Cut(f, "\n")
			if len(first) > 160 {
				first = first[:157] + "..."
			}
			e.notes = append(e.notes, "FAILED: "+first)
		}
	}
	if n := len(e.failures); n > 4 {
		e.notes = append(e.notes, fmt.Sprintf("FAILED: %d more, see the test output", n-4))
	}
	if !e.t.Failed() {
		return
	}
	kept := e.keepLogs()
	for _, p := range e.all {
		e.t.Logf("--- last lines of %s (whole log in %s)\n%s", p.name, kept, p.tail(15))
	}
}

// dumpRunning has every running process write its goroutines' stacks to
// its log and end, for a scenario that did not settle.
func (e *env) dumpRunning() {
	var names []string
	for _, slot := range e.running() {
		p := e.take(slot)
		p.dump()
		names = append(names, p.name)
	}
	if len(names) > 0 {
		e.note("goroutine dumps of %v in their logs", names)
	}
}

// keepLogs copies the processes' logs to a folder that outlives the test,
// and returns it.
func (e *env) keepLogs() string {
	dir, err := os.MkdirTemp("", "flarewatch-faults-logs-")
	if err != nil {
		return e.dir
	}
	for _, p := range e.all {
		if b, err := os.ReadFile(p.logPath); err == nil {
			_ = os.WriteFile(filepath.Join(dir, filepath.Base(p.logPath)), b, 0o644)
		}
	}
	return dir
}

// killAndRejoin kills the process of slot 1 with SIGKILL once frac of the
// input is committed, waits until the group has rebalanced without it (its
// session timed out), and starts it again.
func killAndRejoin(frac float64) func(e *env) {
	return func(e *env) {
		at := e.waitCommitted(frac, time.Minute)
		killed := time.Now()
		e.kill9(1)
		e.logf("fw-1 killed at %d%% committed", at)
		if !e.waitMembers(processes-1, 2*time.Minute) {
			e.fail("the group did not rebalance without the killed process")
		}
		e.logf("group rebalanced without fw-1; restarting it")
		e.note("fw-1 killed at %d%% committed, restarted %s later when the group had rebalanced",
			at, time.Since(killed).Round(time.Second))
		e.start(1)
	}
}
