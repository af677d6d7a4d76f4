package state

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrUnavailable wraps every error that means Redis could not be reached or
// did not answer; the caller pauses and retries, commits nothing.
var ErrUnavailable = errors.New("redis unavailable")

// Options are the rule's timing as the store needs it.
type Options struct {
	Lookback       time.Duration
	Bucket         time.Duration // counter bucket width; divides a day
	DedupWindow    time.Duration // how long source duplicates are remembered
	UpdateInterval time.Duration // at most one update alert per hash per interval
	MaxSamples     int           // cap on each sample list of an episode

	// WaitReplicas, when above 0, has each pipeline of state writes end
	// with WAIT: the writes count once that many replicas acknowledge them
	// within WaitTimeout, and are an ErrUnavailable otherwise, to be
	// written again. WAIT covers the writes of the connection it is sent
	// on, which is the pipeline's. Single server (and Sentinel) only.
	WaitReplicas int
	WaitTimeout  time.Duration
}

// Store is the Redis-backed state. It is safe for concurrent use.
type Store struct {
	rdb     redis.UniversalClient
	keys    Keys
	opt     Options
	cluster bool // one script call reaches one slot only
}

// New returns a store on rdb in namespace ns.
func New(rdb redis.UniversalClient, ns string, opt Options) *Store {
	_, cluster := rdb.(*redis.ClusterClient)
	return &Store{rdb: rdb, keys: NewKeys(ns), opt: opt, cluster: cluster}
}

// maxPerCall bounds the items of one script call: a script holds its
// server for its whole run, and a call of 128 events takes about a
// millisecond.
const maxPerCall = 128

// calls splits n items into script calls and returns the items of each, in
// order. On a single server a call takes up to maxPerCall consecutive
// items, whatever their hash: a fetch's Redis work is one or two calls. On
// a Redis Cluster a script may only touch one slot, so a call takes the
// items of one hash, in their order.
func (s *Store) calls(n int, hash func(i int) string) [][]int {
	var out [][]int
	if !s.cluster {
		for i := 0; i < n; i += maxPerCall {
			call := make([]int, 0, min(maxPerCall, n-i))
			for j := i; j < min(i+maxPerCall, n); j++ {
				call = append(call, j)
			}
			out = append(out, call)
		}
		return out
	}
	open := map[string]int{} // hash -> its call still taking items
	for i := range n {
		h := hash(i)
		c, ok := open[h]
		if !ok || len(out[c]) == maxPerCall {
			c = len(out)
			out = append(out, nil)
			open[h] = c
		}
		out[c] = append(out[c], i)
	}
	return out
}

// Keys returns the store's key builder.
func (s *Store) Keys() Keys { return s.keys }

// Client returns the Redis client.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// LoadScripts loads the Lua scripts into every server, so that pipelined
// EVALSHA calls find them.
func (s *Store) LoadScripts(ctx context.Context) error {
	for _, sc := range allScripts {
		if err := sc.Load(ctx, s.rdb).Err(); err != nil {
			return unavailable("load scripts", err)
		}
	}
	return nil
}

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// bucketStart returns the start of the counter bucket holding t, in unix ms.
// Buckets are aligned on the epoch, so every instance agrees on them.
func (s *Store) bucketStart(t time.Time) int64 {
	w := s.opt.Bucket.Milliseconds()
	ms := t.UnixMilli()
	return ms - mod(ms, w)
}

func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// window returns the earliest event time still in the lookback at now, and
// the start of the oldest bucket kept.
func (s *Store) window(now time.Time) (cutoffMs, oldest int64) {
	cutoff := now.Add(-s.opt.Lookback)
	return cutoff.UnixMilli(), s.bucketStart(cutoff)
}

// stateTTL is how long a hash's keys live after its last event.
func (s *Store) stateTTL() int64 {
	return (s.opt.Lookback + s.opt.Bucket).Milliseconds()
}

// ttlUntil returns the time from now until t in ms, at least one second, so
// that every key gets an expiry even when its time has already passed.
func ttlUntil(now, t time.Time) int64 {
	return max(t.Sub(now).Milliseconds(), 1000)
}

// unavailable marks err as a Redis availability problem unless it is a reply
// from the server (a script error is a bug, not an outage).
func unavailable(op string, err error) error {
	var rerr redis.Error
	if errors.As(err, &rerr) && !isRetryableReply(rerr) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s: %w: %w", op, ErrUnavailable, err)
}

// isRetryableReply tells server replies that mean "try again" (loading,
// failover, missing script after a restart) from real errors.
func isRetryableReply(err redis.Error) bool {
	for _, p := range []string{"LOADING", "NOSCRIPT", "TRYAGAIN", "CLUSTERDOWN",
		"MASTERDOWN", "READONLY", "MOVED", "ASK"} {
		if redis.HasErrorPrefix(err, p) {
			return true
		}
	}
	return false
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// runPipelined runs the queued script calls and, when a server lost its
// scripts (a restart), loads them and tries once more.
func (s *Store) runPipelined(ctx context.Context, queue func(redis.Pipeliner) error) ([]redis.Cmder, error) {
	for attempt := 0; ; attempt++ {
		cmds, err := s.rdb.Pipelined(ctx, queue)
		if err == nil || errors.Is(err, redis.Nil) {
			return cmds, nil
		}
		if attempt == 0 && redis.HasErrorPrefix(err, "NOSCRIPT") {
			if lerr := s.LoadScripts(ctx); lerr != nil {
				return nil, lerr
			}
			continue
		}
		return nil, unavailable("pipeline", err)
	}
}

// runReplicated is runPipelined for state writes: with Options.WaitReplicas
// the pipeline ends with WAIT, on its own connection, and fewer replicas
// than asked is an ErrUnavailable. The WAIT's reply is not among the
// commands returned.
func (s *Store) runReplicated(ctx context.Context, queue func(redis.Pipeliner) error) ([]redis.Cmder, error) {
	n := s.opt.WaitReplicas
	if n <= 0 {
		return s.runPipelined(ctx, queue)
	}
	var wait *redis.IntCmd
	cmds, err := s.runPipelined(ctx, func(p redis.Pipeliner) error {
		if err := queue(p); err != nil {
			return err
		}
		wait = redis.NewIntCmd(ctx, "wait", n, s.opt.WaitTimeout.Milliseconds())
		return p.Process(ctx, wait)
	})
	if err != nil {
		return nil, err
	}
	got, err := wait.Result()
	if err != nil {
		return nil, unavailable("wait", err)
	}
	if got < int64(n) {
		return nil, fmt.Errorf("wait: %w: %d of %d replicas acknowledged the writes within %s",
			ErrUnavailable, got, n, s.opt.WaitTimeout)
	}
	return cmds[:len(cmds)-1], nil
}
