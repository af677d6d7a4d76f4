//go:build faults

package faults

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flarewatch/flarewatch/deploy/testenv"
)

// TestFaults runs the whole suite, one scenario after the other: each has
// the services to itself but for the other tests of the machine.
func TestFaults(t *testing.T) {
	for _, sc := range []scenario{
		{name: "kill -9", seed: 1, fault: killAndRestart(0.3, 5*time.Second)},
		{name: "rolling SIGTERM", seed: 2, pace: 30 * time.Second, fault: rollingRestart},
		{name: "Redis down 20s", seed: 3, pace: 30 * time.Second, redis: redisOwn, fault: redisDown},
		{name: "Kafka restart", seed: 4, pace: 30 * time.Second, fault: kafkaRestart},
		{name: "poison", seed: 5, poison: poisonKinds},
		{name: "poison 2 MB, 1 MiB", seed: 6, pace: 10 * time.Second,
			poison: []string{poison2MB, poison1MiB}, settle: 90 * time.Second},
		{name: "rebalance storm", seed: 7, pace: 40 * time.Second, fault: rebalanceStorm},
		{name: "Redis Cluster", seed: 8, redis: redisCluster},
		{name: "Sentinel failover", seed: 10, pace: 30 * time.Second, redis: redisSentinel,
			fault: sentinelFailover},
		{name: "flood 50k hashes", seed: 9, pace: 30 * time.Second, flood: 50000, rssMiB: 256},
	} {
		t.Run(strings.ReplaceAll(sc.name, " ", "_"), func(t *testing.T) {
			sc.records = 20000
			sc.pace = orDefault(sc.pace, 20*time.Second)
			sc.settle = orDefault(sc.settle, 3*time.Minute)
			sc.strictCommits = true
			runScenario(t, sc)
		})
	}
}

// orDefault returns d, or def when d is zero.
func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// killAndRestart kills the process of slot 1 with SIGKILL once frac of the
// input is committed, and starts it again after down. A member that joins
// while the dead one is still in the group holds the rebalance open until
// the dead member's session times out.
func killAndRestart(frac float64, down time.Duration) func(e *env) {
	return func(e *env) {
		at := e.waitCommitted(frac, time.Minute)
		e.kill9(1)
		e.logf("fw-1 killed at %d%% committed", at)
		e.note("fw-1 killed at %d%% committed, restarted %s later", at, down)
		time.Sleep(down)
		e.start(1)
	}
}

// rollingRestart stops each process in turn with SIGTERM, at a fifth, two
// fifths and three fifths of the input, checks its shutdown (see stop) and
// starts it again once the group has rebalanced.
func rollingRestart(e *env) {
	var exits []string
	for slot := range processes {
		at := e.waitCommitted(0.2*float64(slot+1), time.Minute)
		took, checked := e.stopHeld(slot)
		e.logf("fw-%d stopped at %d%% committed in %s", slot, at, took.Round(time.Millisecond))
		exits = append(exits, took.Round(time.Millisecond).String())
		if !checked {
			e.fail("fw-%d: its partitions were not known, so what it committed went unchecked", slot)
		}
		e.start(slot)
		if !e.waitMembers(processes, time.Minute) {
			e.fail("the group did not take fw-%d back within a minute", slot)
		}
	}
	e.note("SIGTERM exits %s (bound %s), each committed past what it applied",
		strings.Join(exits, ", "), shutdownTimeout)
}

// redisOutage is how long redisDown keeps Redis stopped, and redisSettle
// how long after the stop commits of work done before it may still land.
const (
	redisOutage = 20 * time.Second
	redisSettle = 2 * time.Second
)

// redisDown stops the scenario's Redis for redisOutage once 30% of the
// input is committed. Meanwhile no process may exit and, past redisSettle,
// no offset may be committed; then Redis starts again on its append-only
// file and the processes resume on their own.
func redisDown(e *env) {
	at := e.waitCommitted(0.3, time.Minute)
	pre, _ := e.committed()
	stopped := time.Now()
	if err := e.own.stop(); err != nil {
		e.fail("stop redis: %v", err)
	}
	e.logf("redis stopped at %d%% committed", at)
	time.Sleep(redisSettle)
	before, err := e.committed()
	if err != nil {
		e.fail("committed offsets: %v", err)
	}
	moved := 0
	for p, o := range before {
		if o != pre[p] {
			moved++
		}
	}
	checks := 0
	for time.Since(stopped) < redisOutage {
		time.Sleep(time.Second)
		now, err := e.committed()
		if err != nil {
			continue
		}
		checks++
		for p, o := range now {
			if o != before[p] {
				e.fail("partition %d committed from %d to %d while Redis was down", p, before[p], o)
				before[p] = o
			}
		}
		if n := len(e.running()); n != processes {
			e.fail("%d of %d processes run while Redis is down", n, processes)
		}
	}
	lags, _ := e.lags()
	if sum(lags) == 0 {
		e.fail("nothing left to consume while Redis was down: the check proves nothing")
	}
	if err := e.own.start(); err != nil {
		e.fail("start redis again: %v", err)
	}
	e.logf("redis started again; uncommitted input %v", lags)
	e.note("Redis down %s at %d%% committed: %d partition(s) committed work finished before the "+
		"stop within %s, then %d checks with offsets unchanged, no process exited, %d messages waiting",
		time.Since(stopped).Round(time.Second), at, moved, redisSettle, checks, sum(lags))
}

// replicaBehind is how long sentinelFailover holds the replica back before
// the master dies: the writes of that time exist on the master only.
const replicaBehind = 3 * time.Second

// sentinelFailover stops the replica (SIGSTOP) once 30% of the input is
// committed, so that the master takes writes the replica lacks, then kills
// the master with SIGKILL and lets the replica go on. The sentinel
// promotes the replica, without those writes. The processes, which wait
// for a replica to acknowledge each fetch's writes (redis.wait_replicas 1),
// committed nothing meanwhile: they write again what the replica lacks,
// and commit once a replica acknowledges, which the old master does when
// it is started again and the sentinel has made it the new master's
// replica. Without the wait, the counts of those seconds would be lost.
func sentinelFailover(e *env) {
	at := e.waitCommitted(0.3, time.Minute)
	if err := e.replica.pause(); err != nil {
		e.fail("pause the replica: %v", err)
	}
	time.Sleep(replicaBehind)
	killed := time.Now()
	if err := e.own.kill(); err != nil {
		e.fail("kill the redis master: %v", err)
	}
	if err := e.replica.resume(); err != nil {
		e.fail("resume the replica: %v", err)
	}
	e.logf("replica paused at %d%% committed, master killed %s later", at, replicaBehind)
	promoted := false
	for time.Since(killed) < time.Minute {
		ctx, cancel := opCtx()
		addr, err := e.sentinel.GetMasterAddrByName(ctx, sentinelMaster).Result()
		cancel()
		if err == nil && len(addr) == 2 && addr[1] == strconv.Itoa(e.replica.port) {
			promoted = true
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !promoted {
		e.fail("the sentinel did not promote the replica within a minute")
		return
	}
	failover := time.Since(killed)
	e.logf("replica promoted after %s", failover.Round(time.Millisecond))
	if n := len(e.running()); n != processes {
		e.fail("%d of %d processes run after the failover", n, processes)
	}
	pre, _ := e.committed()
	if err := e.own.start(); err != nil {
		e.fail("start the old master again: %v", err)
	}
	e.logf("old master started again, to become a replica")
	var rejoined time.Duration
	for time.Since(killed) < 2*time.Minute && rejoined == 0 {
		time.Sleep(100 * time.Millisecond)
		ctx, cancel := opCtx()
		info, err := e.rdb.Info(ctx, "replication").Result()
		cancel()
		if err == nil && strings.Contains(info, "connected_slaves:1") &&
			strings.Contains(info, ",state=online,") {
			rejoined = time.Since(killed)
		}
	}
	if rejoined == 0 {
		e.fail("the old master did not come back as a replica within two minutes")
		return
	}
	// Logged for the record: offsets that moved meanwhile belong to work
	// a replica acknowledged before the kill, or after the rejoin.
	post, _ := e.committed()
	e.logf("old master is the new master's replica %s after the kill; committed before %v, "+
		"when it rejoined %v", rejoined.Round(time.Millisecond), pre, post)
	e.note("replica paused at %d%% committed, master killed %s later, replica promoted %s after "+
		"the kill, old master back as its replica %s after it; redis.wait_replicas 1", at,
		replicaBehind, failover.Round(100*time.Millisecond), rejoined.Round(100*time.Millisecond))
}

// kafkaDown is how long kafkaRestart keeps the broker stopped.
const kafkaDown = 10 * time.Second

// kafkaRestart stops the testenv Kafka broker once 30% of the input is
// committed and starts it again kafkaDown later, with testenv.sh.
func kafkaRestart(e *env) {
	script := testenvScript(e)
	at := e.waitCommitted(0.3, time.Minute)
	t0 := time.Now()
	if out, err := exec.Command(script, "kafka-stop").CombinedOutput(); err != nil {
		e.fail("testenv.sh kafka-stop: %v\n%s", err, out)
	}
	stopped := time.Since(t0)
	e.logf("kafka stopped at %d%% committed in %s", at, stopped.Round(time.Millisecond))
	time.Sleep(kafkaDown)
	t1 := time.Now()
	if out, err := exec.Command(script, "kafka-start").CombinedOutput(); err != nil {
		e.fail("testenv.sh kafka-start: %v\n%s", err, out)
	}
	e.logf("kafka started again in %s", time.Since(t1).Round(time.Millisecond))
	e.note("broker stopped at %d%% committed (the stop took %s), down %s, ready %s after its start",
		at, stopped.Round(100*time.Millisecond), t1.Sub(t0).Round(100*time.Millisecond),
		time.Since(t1).Round(100*time.Millisecond))
}

// testenvScript returns deploy/testenv/testenv.sh, after checking that the
// Kafka the tests use is the one it runs: a restart must hit that one.
func testenvScript(e *env) string {
	root, err := moduleRoot()
	if err != nil {
		e.t.Fatal(err)
	}
	port, err := os.ReadFile(filepath.Join(root, "deploy/testenv/.run/kafka/port"))
	want := "127.0.0.1:" + strings.TrimSpace(string(port))
	if err != nil || os.Getenv(testenv.EnvKafka) != want {
		msg := "the Kafka in " + testenv.EnvKafka + " is not the one deploy/testenv/testenv.sh runs"
		if testenv.InCI() {
			e.t.Fatal(msg)
		}
		e.t.Skip(msg)
	}
	return filepath.Join(root, "deploy/testenv/testenv.sh")
}

// stormFor is how long rebalanceStorm goes on.
const stormFor = 35 * time.Second

// rebalanceStorm makes processes join and leave (SIGTERM, with the checks
// of stop) every 2 to 4 seconds, between one and five of them, then brings
// the group back to the first three.
func rebalanceStorm(e *env) {
	rng := rand.New(rand.NewPCG(7, 7))
	joins, leaves, checked := 0, 0, 0
	for end := time.Now().Add(stormFor); time.Now().Before(end); {
		time.Sleep(2*time.Second + time.Duration(rng.IntN(2000))*time.Millisecond)
		up := e.running()
		join := len(up) <= 1 || len(up) < 5 && rng.IntN(2) == 0
		if join {
			slot := freeSlot(up)
			e.start(slot)
			joins++
			continue
		}
		if _, ok := e.stopHeld(up[rng.IntN(len(up))]); ok {
			checked++
		}
		leaves++
	}
	up := map[int]bool{}
	for _, s := range e.running() {
		up[s] = true
	}
	for slot := range 5 {
		switch {
		case slot < processes && !up[slot]:
			e.start(slot)
		case slot >= processes && up[slot]:
			e.stop(slot)
		}
	}
	e.logf("storm over: %d joins, %d leaves", joins, leaves)
	e.note("%d joins and %d leaves (%d of them checked for what they committed) in %s",
		joins, leaves, checked, stormFor)
}

// freeSlot returns the lowest slot without a running process.
func freeSlot(up []int) int {
	taken := map[int]bool{}
	for _, s := range up {
		taken[s] = true
	}
	for s := 0; ; s++ {
		if !taken[s] {
			return s
		}
	}
}
