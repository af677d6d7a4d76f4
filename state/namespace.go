package state

import (
	"context"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// DeleteNamespace removes every key of the store's namespace, on every
// master of a cluster, and returns how many it removed. A replay calls it
// when it is done.
func (s *Store) DeleteNamespace(ctx context.Context) (int64, error) {
	var n atomic.Int64
	del := func(ctx context.Context, c redis.Cmdable) error {
		iter := c.Scan(ctx, 0, s.keys.Pattern(), 1000).Iterator()
		for iter.Next(ctx) {
			if err := c.Unlink(ctx, iter.Val()).Err(); err != nil {
				return err
			}
			n.Add(1)
		}
		return iter.Err()
	}
	var err error
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error { return del(ctx, m) })
	} else {
		err = del(ctx, s.rdb)
	}
	if err != nil {
		return n.Load(), unavailable("delete namespace", err)
	}
	return n.Load(), nil
}
