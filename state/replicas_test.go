package state

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// startRedis starts a redis-server of this test's own on a free port, with
// extra arguments, and stops it (by its pid) when the test ends.
func startRedis(t *testing.T, args ...string) (addr string, cmd *exec.Cmd) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("no redis-server binary")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	all := append([]string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", t.TempDir()}, args...)
	cmd = exec.Command(bin, all...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr = fmt.Sprintf("127.0.0.1:%d", port)
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	for i := 0; c.Ping(context.Background()).Err() != nil; i++ {
		if i > 100 {
			t.Fatalf("redis-server on %s did not start", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return addr, cmd
}

// With WaitReplicas, a pipeline of state writes counts only once a replica
// acknowledged it. WAIT covers the writes of the connection it is sent on,
// so it must go on the pipeline's own: sent on another pooled connection,
// which happens as soon as partition workers share the store, it would
// vouch for writes it never waited for.
func TestWaitReplicasOnTheWritingConnection(t *testing.T) {
	t.Parallel()
	master, _ := startRedis(t)
	replicaAddr, replica := startRedis(t, "--replicaof", strings.Replace(master, ":", " ", 1))
	ctx := context.Background()
	rc := redis.NewClient(&redis.Options{Addr: replicaAddr})
	defer rc.Close()
	for i := 0; !strings.Contains(rc.Info(ctx, "replication").Val(), "master_link_status:up"); i++ {
		if i > 200 {
			t.Fatal("replica never linked")
		}
		time.Sleep(50 * time.Millisecond)
	}

	rdb := redis.NewClient(&redis.Options{Addr: master, PoolSize: 4})
	defer rdb.Close()
	opt := testOptions
	opt.WaitReplicas, opt.WaitTimeout = 1, 500*time.Millisecond
	s := newStoreOn(t, rdb, "w", opt)
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

	// Two pooled connections, as two workers leave them.
	done := make(chan struct{})
	go func() { rdb.BLPop(ctx, time.Second, "w:nothing"); close(done) }()
	rdb.BLPop(ctx, time.Second, "w:nothing-2")
	<-done
	if _, err := s.Apply(ctx, now, []Event{edgeEvent("", hashA, "d1", 1, now)}); err != nil {
		t.Fatalf("healthy replica: %v", err)
	}

	// The replica stops acknowledging; a worker writes its fetch while
	// another holds a connection.
	if err := replica.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	busy := make(chan struct{})
	go func() { rdb.BLPop(ctx, 1500*time.Millisecond, "w:nothing"); close(busy) }()
	time.Sleep(100 * time.Millisecond)
	_, applyErr := s.Apply(ctx, now, []Event{edgeEvent("", hashA, "d2", 2, now)})
	_, signErr := s.MarkSigned(ctx, now, []CertRow{{SHA1: "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2", Time: now}})
	schedErr := s.Schedule(ctx, []Due{{SHA1: hashA, At: now}})
	<-busy
	for name, err := range map[string]error{"Apply": applyErr, "MarkSigned": signErr, "Schedule": schedErr} {
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s with the replica stopped: %v, want ErrUnavailable", name, err)
		}
	}

	// Let go, the replica catches up and the writes count again: the
	// event written before is a re-read now.
	_ = replica.Process.Signal(syscall.SIGCONT)
	var got []Applied
	var err error
	for i := 0; i < 50; i++ {
		if got, err = s.Apply(ctx, now, []Event{edgeEvent("", hashA, "d2", 2, now)}); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil || got[0].Outcome != Reread {
		t.Errorf("after the replica came back: %+v, %v; want a re-read", got, err)
	}
}

// replOffsets returns the master's replication offset and the one its
// replica last acknowledged.
func replOffsets(t *testing.T, rdb *redis.Client) (master, replica int64) {
	t.Helper()
	for _, l := range strings.Split(rdb.Info(context.Background(), "replication").Val(), "\r\n") {
		if v, ok := strings.CutPrefix(l, "master_repl_offset:"); ok {
			fmt.Sscan(v, &master)
		}
		if v, ok := strings.CutPrefix(l, "slave0:"); ok {
			for _, kv := range strings.Split(v, ",") {
				if o, ok := strings.CutPrefix(kv, "offset="); ok {
					fmt.Sscan(o, &replica)
				}
			}
		}
	}
	return master, replica
}
