package state

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Due is a hash waiting out the grace period.
type Due struct {
	Tenant string
	SHA1   string
	At     time.Time
}

// Schedule queues hashes for their first alert at their due time. A hash
// already queued keeps its due time, so calling it again is harmless.
func (s *Store) Schedule(ctx context.Context, due []Due) error {
	if len(due) == 0 {
		return nil
	}
	z := make([]redis.Z, len(due))
	for i, d := range due {
		z[i] = redis.Z{Score: float64(d.At.UnixMilli()), Member: PendingMember(d.Tenant, d.SHA1)}
	}
	key := s.keys.Pending()
	_, err := s.runReplicated(ctx, func(p redis.Pipeliner) error {
		p.ZAddNX(ctx, key, z...)
		p.PExpire(ctx, key, time.Duration(s.stateTTL())*time.Millisecond)
		return nil
	})
	if err != nil {
		return fmt.Errorf("schedule: %w", err)
	}
	return nil
}

// Claim hands out up to limit hashes due at now, and pushes each back by
// lease: the caller calls Done when it has dealt with one, and a hash whose
// caller died comes due again after the lease.
func (s *Store) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Due, error) {
	members, err := claimScript.Run(ctx, s.rdb, []string{s.keys.Pending()},
		now.UnixMilli(), lease.Milliseconds(), limit, s.stateTTL()).StringSlice()
	if err != nil {
		return nil, unavailable("claim", err)
	}
	out := make([]Due, len(members))
	for i, m := range members {
		t, h := SplitPendingMember(m)
		out[i] = Due{Tenant: t, SHA1: h, At: now}
	}
	return out, nil
}

// Done removes hashes from the pending set.
func (s *Store) Done(ctx context.Context, due ...Due) error {
	if len(due) == 0 {
		return nil
	}
	m := make([]any, len(due))
	for i, d := range due {
		m[i] = PendingMember(d.Tenant, d.SHA1)
	}
	if err := s.rdb.ZRem(ctx, s.keys.Pending(), m...).Err(); err != nil {
		return unavailable("done", err)
	}
	return nil
}

// PendingCount returns how many hashes wait out the grace period.
func (s *Store) PendingCount(ctx context.Context) (int64, error) {
	n, err := s.rdb.ZCard(ctx, s.keys.Pending()).Result()
	if err != nil {
		return 0, unavailable("pending", err)
	}
	return n, nil
}
