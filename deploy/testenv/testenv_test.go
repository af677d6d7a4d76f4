package testenv

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// recorder is a testing.TB whose Fatal and Skip calls are recorded instead
// of ending the real test. Like the real ones they stop the calling
// goroutine, so helpers under test are run through recorder.run.
type recorder struct {
	testing.TB
	mu          sync.Mutex
	fatal, skip string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.fatal = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}

func (r *recorder) Skipf(format string, args ...any) {
	r.mu.Lock()
	r.skip = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}

func (r *recorder) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }
func (r *recorder) FailNow()          { r.Fatalf("FailNow") }
func (r *recorder) Skip(args ...any)  { r.Skipf("%s", fmt.Sprint(args...)) }
func (r *recorder) SkipNow()          { r.Skipf("SkipNow") }

// run calls f on a goroutine of its own and returns what it recorded.
func (r *recorder) run(f func(testing.TB)) (fatal, skip string) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fatal, r.skip
}

// helpers lists every helper with the variable it needs, and whether it
// has an embedded stand-in outside CI.
var helpers = []struct {
	name     string
	env      string
	embedded bool
	call     func(testing.TB)
}{
	{"Kafka", EnvKafka, true, func(tb testing.TB) { Kafka(tb) }},
	{"RealKafka", EnvKafka, false, func(tb testing.TB) { RealKafka(tb) }},
	{"Redis", EnvRedis, true, func(tb testing.TB) { Redis(tb) }},
	{"RedisNS", EnvRedis, true, func(tb testing.TB) { RedisNS(tb) }},
	{"RedisCluster", EnvRedisCluster, false, func(tb testing.TB) { RedisCluster(tb) }},
	{"RedisClusterNS", EnvRedisCluster, false, func(tb testing.TB) { RedisClusterNS(tb) }},
}

// unsetAll clears every backend variable for the rest of the test.
func unsetAll(t *testing.T) {
	for _, v := range []string{EnvKafka, EnvRedis, EnvRedisCluster} {
		t.Setenv(v, "")
	}
}

func TestCIRuleFailsOnMissingVariable(t *testing.T) {
	for _, h := range helpers {
		t.Run(h.name, func(t *testing.T) {
			unsetAll(t)
			t.Setenv(EnvCI, "true")

			fatal, skip := (&recorder{TB: t}).run(h.call)
			if skip != "" {
				t.Errorf("%s skipped under CI: %q", h.name, skip)
			}
			if !strings.Contains(fatal, h.env) || !strings.Contains(fatal, "make test") {
				t.Errorf("%s fatal = %q, want it to name %s and `make test`", h.name, fatal, h.env)
			}
		})
	}
}

func TestOutsideCIEmbeddedOrSkip(t *testing.T) {
	for _, h := range helpers {
		t.Run(h.name, func(t *testing.T) {
			unsetAll(t)
			t.Setenv(EnvCI, "")

			fatal, skip := (&recorder{TB: t}).run(h.call)
			if fatal != "" {
				t.Errorf("%s failed outside CI: %q", h.name, fatal)
			}
			if skipped := skip != ""; skipped == h.embedded {
				t.Errorf("%s skip = %q, want a skip only without an embedded stand-in", h.name, skip)
			}
			if skip != "" && !strings.Contains(skip, h.env) {
				t.Errorf("%s skip = %q, want it to name %s", h.name, skip, h.env)
			}
		})
	}
}

func TestTopicCreatedAndDeleted(t *testing.T) {
	brokers := Kafka(t)
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var topic string
	created := t.Run("create", func(t *testing.T) {
		topic = Topic(t, brokers, 3)
		td, err := adm.ListTopics(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(td[topic].Partitions); got != 3 {
			t.Errorf("topic %s has %d partitions, want 3", topic, got)
		}
	})
	if !created {
		return
	}

	// Deletion completes asynchronously on a real broker. All topics are
	// listed: asking for a missing one by name makes the client retry.
	eventually(t, ctx, func() error {
		td, err := adm.ListTopics(ctx)
		if err != nil {
			return err
		}
		if td.Has(topic) {
			return fmt.Errorf("topic %s still listed", topic)
		}
		return nil
	})
}

func TestRedisNSRemovesItsKeys(t *testing.T) {
	if os.Getenv(EnvRedis) == "" && !InCI() {
		t.Setenv(EnvRedis, miniredis.RunT(t).Addr())
	}
	var keys []string
	written := t.Run("write", func(t *testing.T) {
		c, prefix := RedisNS(t)
		keys = []string{prefix + "a", prefix + "b:c"}
		for _, k := range keys {
			if err := c.Set(context.Background(), k, "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
	})
	if !written {
		return
	}

	c := redis.NewClient(&redis.Options{Addr: os.Getenv(EnvRedis)})
	defer c.Close()
	if n, err := c.Exists(context.Background(), keys...).Result(); err != nil || n != 0 {
		t.Errorf("EXISTS %v after cleanup = %d, %v; want 0", keys, n, err)
	}
}

func TestRedisClusterNSRemovesItsKeys(t *testing.T) {
	c := RedisCluster(t)
	var keys []string
	written := t.Run("write", func(t *testing.T) {
		cc, prefix := RedisClusterNS(t)
		for i := range 20 { // twenty keys land on every master
			k := fmt.Sprintf("%skey%d", prefix, i)
			keys = append(keys, k)
			if err := cc.Set(context.Background(), k, "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
	})
	if !written {
		return
	}

	for _, k := range keys {
		if n, err := c.Exists(context.Background(), k).Result(); err != nil || n != 0 {
			t.Errorf("EXISTS %s after cleanup = %d, %v; want 0", k, n, err)
		}
	}
}

// eventually polls check until it returns nil, failing the test with its
// last error when ctx ends.
func eventually(t *testing.T, ctx context.Context, check func() error) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("condition not met: %v", err)
		case <-tick.C:
		}
	}
}
