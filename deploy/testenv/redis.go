package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// cleanupTimeout bounds the removal of a test's keys when it ends.
const cleanupTimeout = 30 * time.Second

// Redis returns a client to the standalone Redis in FLAREWATCH_TEST_REDIS
// when set, otherwise to a miniredis started for this test. Under CI a
// missing variable fails the test. The client is closed when the test ends.
//
// A real server is shared with every test running at the same time: a test
// that writes keys should take them under the prefix that [RedisNS] gives.
func Redis(t testing.TB) redis.UniversalClient {
	t.Helper()
	c, _ := RedisNS(t)
	return c
}

// RedisNS is [Redis] plus a key prefix unique to this call, such as
// "t1f2e3d4c5b6a:". Every key under the prefix is deleted when the test
// ends.
func RedisNS(t testing.TB) (redis.UniversalClient, string) {
	t.Helper()
	addr := ""
	if a := addrs(t, EnvRedis); len(a) > 0 {
		addr = a[0]
	} else {
		addr = miniredis.RunT(t).Addr()
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	prefix := "t" + unique(6) + ":"
	t.Cleanup(func() { closeWithout(t, c, prefix) })
	return c, prefix
}

// RedisCluster returns a client to the Redis Cluster whose nodes are listed
// in FLAREWATCH_TEST_REDIS_CLUSTER. It skips the test when the variable is
// unset, and fails it under CI. The client is closed when the test ends.
func RedisCluster(t testing.TB) *redis.ClusterClient {
	t.Helper()
	c, _ := RedisClusterNS(t)
	return c
}

// RedisClusterNS is [RedisCluster] plus a key prefix unique to this call.
// The prefix has no hash tag, so a test chooses its own slots; every key
// under it, on any master, is deleted when the test ends.
func RedisClusterNS(t testing.TB) (*redis.ClusterClient, string) {
	t.Helper()
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: realAddrs(t, EnvRedisCluster)})
	prefix := "t" + unique(6) + ":"
	t.Cleanup(func() { closeWithout(t, c, prefix) })
	return c, prefix
}

// closeWithout deletes the keys under prefix, then closes the client.
// A failure is logged, not failed: it leaves keys behind but does not make
// the test's own result wrong.
func closeWithout(t testing.TB, c redis.UniversalClient, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	var err error
	if cc, ok := c.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			return deletePrefix(ctx, m, prefix)
		})
	} else {
		err = deletePrefix(ctx, c, prefix)
	}
	if err != nil {
		t.Logf("testenv: delete redis keys %s*: %v", prefix, err)
	}
	if err := c.Close(); err != nil {
		t.Logf("testenv: close redis client: %v", err)
	}
}

// deletePrefix scans one node for the keys under prefix and unlinks them
// one by one, since keys of one node may still sit in different slots.
func deletePrefix(ctx context.Context, c redis.Cmdable, prefix string) error {
	iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return err
	}
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Unlink(ctx, k)
		}
		return nil
	})
	return err
}
