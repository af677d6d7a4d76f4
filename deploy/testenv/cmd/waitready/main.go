// Command waitready waits until the test backends started by testenv.sh
// answer: Kafka serves a metadata request that names at least one broker
// and a controller, the standalone Redis answers PING, and every Redis
// Cluster node reports cluster_state:ok with all slots served.
//
// It exits 0 once all are ready, or 1 after -timeout naming each backend
// that is not ready and its last error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// errNotYet marks a backend that answered but is not ready yet.
var errNotYet = errors.New("not ready yet")

// check is one backend to wait for.
type check struct {
	name  string
	probe func(ctx context.Context) error
}

func main() {
	kafka := flag.String("kafka", "", "Kafka seed broker host:port")
	standalone := flag.String("redis", "", "standalone Redis host:port")
	cluster := flag.String("redis-cluster", "", "comma-separated Redis Cluster nodes")
	timeout := flag.Duration("timeout", 2*time.Minute, "how long to wait for all backends")
	flag.Parse()

	var checks []check
	if *kafka != "" {
		checks = append(checks, check{"kafka " + *kafka, kafkaProbe(*kafka)})
	}
	if *standalone != "" {
		checks = append(checks, check{"redis " + *standalone, redisProbe(*standalone)})
	}
	if *cluster != "" {
		checks = append(checks, check{"redis cluster " + *cluster, clusterProbe(*cluster)})
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if failed := waitAll(ctx, checks); len(failed) > 0 {
		fmt.Fprintf(os.Stderr, "waitready: not ready after %s:\n", *timeout)
		for _, f := range failed {
			fmt.Fprintf(os.Stderr, "  %s\n", f)
		}
		os.Exit(1)
	}
}

// waitAll polls every check in parallel until it passes or ctx ends, and
// returns one line per check that never passed.
func waitAll(ctx context.Context, checks []check) []string {
	var (
		mu     sync.Mutex
		failed []string
		wg     sync.WaitGroup
	)
	start := time.Now()
	for _, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := poll(ctx, c.probe); err != nil {
				mu.Lock()
				failed = append(failed, fmt.Sprintf("%s: %v", c.name, err))
				mu.Unlock()
				return
			}
			fmt.Fprintf(os.Stderr, "waitready: %s ready after %s\n",
				c.name, time.Since(start).Round(100*time.Millisecond))
		}()
	}
	wg.Wait()
	return failed
}

// poll runs probe every 250ms until it succeeds, and returns its last error
// once ctx is done.
func poll(ctx context.Context, probe func(context.Context) error) error {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		attempt, cancel := context.WithTimeout(ctx, 3*time.Second)
		err := probe(attempt)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-tick.C:
		}
	}
}

func kafkaProbe(addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
		if err != nil {
			return fmt.Errorf("kafka client: %w", err)
		}
		defer cl.Close()
		md, err := kadm.NewClient(cl).BrokerMetadata(ctx)
		if err != nil {
			return fmt.Errorf("metadata: %w", err)
		}
		if len(md.Brokers) == 0 || md.Controller < 0 {
			return fmt.Errorf("metadata lists %d brokers, controller %d: %w",
				len(md.Brokers), md.Controller, errNotYet)
		}
		return nil
	}
}

func redisProbe(addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
		defer c.Close()
		return c.Ping(ctx).Err()
	}
}

// clusterProbe asks every node on its own, because a node that has not yet
// heard of the others still answers PING.
func clusterProbe(addrs string) func(context.Context) error {
	return func(ctx context.Context) error {
		for _, addr := range strings.Split(addrs, ",") {
			c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
			info, err := c.ClusterInfo(ctx).Result()
			c.Close()
			if err != nil {
				return fmt.Errorf("%s: cluster info: %w", addr, err)
			}
			if !strings.Contains(info, "cluster_state:ok") ||
				!strings.Contains(info, "cluster_slots_ok:16384") {
				return fmt.Errorf("%s: cluster state not ok: %w", addr, errNotYet)
			}
		}
		return nil
	}
}
