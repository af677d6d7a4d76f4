package stream_test

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/flarewatch/flarewatch/deploy/testenv"
	"github.com/flarewatch/flarewatch/stream"
)

// Case B19: no key ever lives without an expiry, even when the connection
// drops right after a write, and an idle hash's state is gone after it.
func TestEveryKeyExpires(t *testing.T) {
	c := loadCase(t, "B19")
	h := newHarness(t, 1)
	h.provider = c.Provider()
	h.lookback, h.bucket, h.lateness, h.dedup = 2*time.Second, time.Second, 0, 2*time.Second
	h.onPipeline = func(p *stream.Pipeline) { p.Profiles.TTL, p.Profiles.UnknownTTL = 2*time.Second, 2*time.Second }
	drop := &dropAfterWrite{}
	h.rdb.AddHook(drop)
	var msgs [][]byte
	for _, s := range c.Steps {
		if s.Message != nil {
			msgs = append(msgs, s.Message)
		}
	}
	h.produce(0, msgs[:2]...)
	p := h.start()
	h.waitDrained()
	drop.armed.Store(true) // the next write is acknowledged by Redis but lost on the way back
	h.produce(0, msgs[2])
	h.waitDrained()
	p.stop()
	h.flush()
	if !drop.fired.Load() {
		t.Fatal("the fault was never injected")
	}

	ctx := context.Background()
	keys := scanKeys(t, h.rdb, h.ns)
	if len(keys) == 0 {
		t.Fatal("no keys written")
	}
	for _, k := range keys {
		ttl, err := h.rdb.PTTL(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if ttl < 0 && ttl != -2 { // -2: expired since the scan
			t.Errorf("key %s has no expiry (PTTL %v)", k, ttl)
		}
	}
	if os.Getenv(testenv.EnvRedis) == "" {
		return // miniredis does not expire keys with the wall clock
	}
	waitFor(t, "every key to expire", func() bool { return len(scanKeys(t, h.rdb, h.ns)) == 0 })
}

func scanKeys(t *testing.T, rdb redis.UniversalClient, ns string) []string {
	t.Helper()
	var keys []string
	iter := rdb.Scan(context.Background(), 0, ns+":*", 1000).Iterator()
	for iter.Next(context.Background()) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return keys
}

// dropAfterWrite, once armed, lets one pipelined write reach Redis and then
// reports the connection lost, as if the reply never came back.
type dropAfterWrite struct{ armed, fired atomic.Bool }

func (d *dropAfterWrite) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (d *dropAfterWrite) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (d *dropAfterWrite) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		if err == nil && d.armed.Load() && cmds[0].Name() == "evalsha" && d.armed.CompareAndSwap(true, false) {
			d.fired.Store(true)
			for _, c := range cmds {
				c.SetErr(errDropped)
			}
			return errDropped
		}
		return err
	}
}

var errDropped = errors.New("connection reset after write")
