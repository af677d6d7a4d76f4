// Package testenv hands a test its backends: a Kafka cluster, a standalone
// Redis and a Redis Cluster, real when the environment names them and
// embedded (kfake, miniredis) otherwise.
//
// The environment variables, exported by `make test` after
// deploy/testenv/testenv.sh has started the real services on loopback:
//
//	FLAREWATCH_TEST_KAFKA          seed broker(s), host:port[,host:port...]
//	FLAREWATCH_TEST_REDIS          standalone Redis, host:port
//	FLAREWATCH_TEST_REDIS_CLUSTER  Redis Cluster nodes, host:port,host:port,...
//	CI                             "true" under continuous integration
//
// The CI rule: when CI is "true", a missing variable is a fatal test
// failure naming the variable, never a silent fall-back to an embedded
// backend or a skip, so a CI run cannot pass without the real services.
// Outside CI, [Kafka] and [Redis] fall back to kfake and miniredis, and
// [RealKafka] and [RedisCluster] skip the test.
//
// The real services are shared by every test package running at once, so
// each helper isolates what it hands out: [Topic] creates a uniquely named
// topic and [RedisNS] and [RedisClusterNS] a unique key prefix, and each
// removes them when the test ends. Nothing here flushes a whole server.
package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

// Names of the environment variables read by this package.
const (
	// EnvKafka names the seed brokers of a real Kafka cluster.
	EnvKafka = "FLAREWATCH_TEST_KAFKA"
	// EnvRedis names a real standalone Redis server.
	EnvRedis = "FLAREWATCH_TEST_REDIS"
	// EnvRedisCluster names the nodes of a real Redis Cluster.
	EnvRedisCluster = "FLAREWATCH_TEST_REDIS_CLUSTER"
	// EnvCI is "true" under continuous integration, where every backend
	// variable is required.
	EnvCI = "CI"
)

// InCI reports whether the CI rule applies: the CI variable is "true".
func InCI() bool { return os.Getenv(EnvCI) == "true" }

// addrs returns the comma-separated addresses in the variable name, or
// nil when it is unset or empty. Under CI a missing variable fails the test.
func addrs(t testing.TB, name string) []string {
	t.Helper()
	var out []string
	for _, a := range strings.Split(os.Getenv(name), ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	if len(out) == 0 && InCI() {
		t.Fatalf("testenv: %s is not set and CI=true: run the tests with `make test`, "+
			"which starts the real backends and exports %s", name, name)
	}
	return out
}

// realAddrs is addrs for backends that have no embedded stand-in: outside
// CI a missing variable skips the test.
func realAddrs(t testing.TB, name string) []string {
	t.Helper()
	a := addrs(t, name)
	if len(a) == 0 {
		t.Skipf("testenv: %s is not set; `make test` runs this test against the real service", name)
	}
	return a
}

// unique returns n random bytes in hex, for names that no other test or
// concurrent test process picks.
func unique(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error
	return hex.EncodeToString(b)
}
