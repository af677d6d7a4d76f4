package state

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// CachedProfiles returns the cached provider answers for hashes, as stored by
// CacheProfile; a hash without an entry is missing from the map.
func (s *Store) CachedProfiles(ctx context.Context, sha1s []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(sha1s))
	if len(sha1s) == 0 {
		return out, nil
	}
	cmds, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, h := range sha1s {
			p.Get(ctx, s.keys.Profile(h))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, unavailable("profile cache", err)
	}
	// A missing key is redis.Nil on its own command, not a failed batch.
	for i, c := range cmds {
		b, err := c.(*redis.StringCmd).Bytes()
		switch {
		case errors.Is(err, redis.Nil):
		case err != nil:
			return nil, unavailable("profile cache", err)
		default:
			out[sha1s[i]] = b
		}
	}
	return out, nil
}

// CacheProfile stores a provider answer for ttl.
func (s *Store) CacheProfile(ctx context.Context, sha1 string, answer []byte, ttl time.Duration) error {
	if err := s.rdb.Set(ctx, s.keys.Profile(sha1), answer, ttl).Err(); err != nil {
		return unavailable("profile cache", err)
	}
	return nil
}

// CertTimes reads the newest certificate time of hashes, for hashes the
// local cache does not know. A hash without a row maps to the zero time.
func (s *Store) CertTimes(ctx context.Context, sha1s []string) (map[string]time.Time, error) {
	out := make(map[string]time.Time, len(sha1s))
	cmds, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, h := range sha1s {
			p.Get(ctx, s.keys.Cert(h))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, unavailable("certificates", err)
	}
	for i, c := range cmds {
		ms, err := c.(*redis.StringCmd).Int64()
		switch {
		case errors.Is(err, redis.Nil):
			out[sha1s[i]] = time.Time{}
		case err != nil:
			return nil, unavailable("certificates", err)
		default:
			out[sha1s[i]] = time.UnixMilli(ms).UTC()
		}
	}
	return out, nil
}
