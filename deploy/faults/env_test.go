package faults

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/deploy/testenv"
)

// The processes' settings that the checks depend on.
const (
	partitions      = 6                // of the input topic
	processes       = 3                // in the group at the start and the end
	certGrace       = 2 * time.Second  // rule.cert_grace
	shutdownTimeout = 10 * time.Second // shutdown_timeout: a SIGTERM'd process exits within it
	adminTimeout    = 30 * time.Second // one admin or Redis call of the test
)

// redisKind is where a scenario keeps its state.
type redisKind int

const (
	redisStandalone redisKind = iota // the testenv standalone Redis
	redisCluster                     // the testenv three-master Redis Cluster
	redisOwn                         // a redis-server of the scenario's own, to stop and start
	redisSentinel                    // a master, a replica and a sentinel of the scenario's own
)

// env is one scenario's world: its topics, group, Redis namespace,
// processes and traffic.
type env struct {
	t        *testing.T
	began    time.Time
	tr       *traffic
	bin      string
	dir      string
	config   string
	profiles string

	brokers                             []string
	input, alertTopic, deadTopic, group string
	cl                                  *kgo.Client // produces the input, reads the outputs
	adm                                 *kadm.Client

	rdb        redis.UniversalClient
	ns         string
	redisMode  string
	redisAddrs []string
	own        *redisServer // redisOwn's server, redisSentinel's first master
	replica    *redisServer
	sentinel   *redis.SentinelClient

	produced chan error

	mu       sync.Mutex
	slots    []*proc // the running process of each client id, nil when stopped
	all      []*proc
	gens     map[int]int
	poisonAt map[coord]message
	failures []string
	notes    []string
}

// coord is where a message sits in the input.
type coord struct {
	partition int32
	offset    int64
}

// newEnv creates the topics and the namespace and writes the profiles and
// the configuration file. Nothing runs yet.
func newEnv(t *testing.T, kind redisKind, tr *traffic, seed int64) *env {
	t.Helper()
	bin := flarewatchBinary(t)
	e := &env{t: t, began: time.Now(), tr: tr, bin: bin, dir: t.TempDir(),
		gens: map[int]int{}, poisonAt: map[coord]message{}, produced: make(chan error, 1)}
	e.brokers = testenv.RealKafka(t)
	e.input = testenv.Topic(t, e.brokers, partitions)
	e.alertTopic = testenv.Topic(t, e.brokers, 1)
	e.deadTopic = testenv.Topic(t, e.brokers, 1)
	e.setupRedis(kind)
	e.group = "fw-faults-" + e.ns

	cl, err := kgo.NewClient(kgo.SeedBrokers(e.brokers...),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchMaxBytes(8<<20))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	e.cl, e.adm = cl, kadm.NewClient(cl)

	e.profiles = filepath.Join(e.dir, "profiles.csv")
	if err := tr.writeProfiles(e.profiles, seed); err != nil {
		t.Fatal(err)
	}
	e.config = filepath.Join(e.dir, "flarewatch.yaml")
	yaml := "# Every setting of the fault suite comes from the environment.\nlog:\n  format: json\n"
	if err := os.WriteFile(e.config, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	// Registered after the topics and the namespace, so it runs before
	// their removal.
	t.Cleanup(e.killAll)
	return e
}

func (e *env) setupRedis(kind redisKind) {
	t := e.t
	var prefix string
	switch kind {
	case redisStandalone:
		var c redis.UniversalClient
		c, prefix = testenv.RedisNS(t)
		e.rdb, e.redisMode = c, string(config.RedisStandalone)
		e.redisAddrs = []string{c.(*redis.Client).Options().Addr}
	case redisCluster:
		e.rdb, prefix = testenv.RedisClusterNS(t)
		e.redisMode = string(config.RedisCluster)
		e.redisAddrs = strings.Split(os.Getenv(testenv.EnvRedisCluster), ",")
	case redisOwn:
		e.own = startRedisServer(t, filepath.Join(e.dir, "redis"))
		c := redis.NewClient(&redis.Options{Addr: e.own.addr()})
		t.Cleanup(func() { _ = c.Close() })
		e.rdb, e.redisMode = c, string(config.RedisStandalone)
		e.redisAddrs = []string{e.own.addr()}
		prefix = "t" + randomHex(6) + ":"
	case redisSentinel:
		e.own = startRedisServer(t, filepath.Join(e.dir, "redis-master"))
		e.replica = startRedisServer(t, filepath.Join(e.dir, "redis-replica"),
			"--replicaof", "127.0.0.1", strconv.Itoa(e.own.port))
		sentinel := startSentinel(t, filepath.Join(e.dir, "sentinel"), e.own)
		c := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: sentinelMaster,
			SentinelAddrs: []string{sentinel.addr()}})
		t.Cleanup(func() { _ = c.Close() })
		e.rdb, e.redisMode = c, string(config.RedisSentinel)
		e.redisAddrs = []string{sentinel.addr()}
		e.sentinel = redis.NewSentinelClient(&redis.Options{Addr: sentinel.addr()})
		t.Cleanup(func() { _ = e.sentinel.Close() })
		prefix = "t" + randomHex(6) + ":"
	}
	e.ns = strings.TrimSuffix(prefix, ":")
}

// procEnv is the environment of a process with client id id: the test's
// own, without any FLAREWATCH_ setting, then the scenario's settings.
func (e *env) procEnv(id string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, config.EnvPrefix) {
			out = append(out, kv)
		}
	}
	set := [][2]string{
		{"kafka.brokers", strings.Join(e.brokers, ",")},
		{"kafka.topics", e.input},
		{"kafka.group", e.group},
		{"kafka.client_id", id},
		{"kafka.alert_topic", e.alertTopic},
		{"kafka.dead_letter_topic", e.deadTopic},
		{"redis.addrs", strings.Join(e.redisAddrs, ",")},
		{"redis.mode", e.redisMode},
		{"redis.namespace", e.ns},
		{"rule.cert_grace", certGrace.String()},
		{"enrichment.provider", string(config.ProviderFile)},
		{"enrichment.file", e.profiles},
		{"metrics.listen", ""},
		{"shutdown_timeout", shutdownTimeout.String()},
		{"log.level", logLevel()},
	}
	if e.redisMode == string(config.RedisSentinel) {
		set = append(set, [2]string{"redis.master_name", sentinelMaster},
			[2]string{"redis.wait_replicas", "1"}, [2]string{"redis.wait_timeout", "500ms"})
	}
	for _, s := range set {
		out = append(out, config.EnvName(s[0])+"="+s[1])
	}
	return out
}

// logLevel is the processes' log level: FLAREWATCH_FAULTS_LOG_LEVEL, or
// info.
func logLevel() string {
	if l := os.Getenv("FLAREWATCH_FAULTS_LOG_LEVEL"); l != "" {
		return l
	}
	return "info"
}

// fail records a failure found while the scenario runs; run reports them.
func (e *env) fail(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.failures = append(e.failures, fmt.Sprintf(format, args...))
}

// logf logs a step of the scenario with the time since it began.
func (e *env) logf(format string, args ...any) {
	e.t.Helper()
	e.t.Logf("%5.1fs "+format, append([]any{time.Since(e.began).Seconds()}, args...)...)
}

// note adds a remark to the scenario's row.
func (e *env) note(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.notes = append(e.notes, fmt.Sprintf(format, args...))
}

// opCtx returns a context bounded by adminTimeout.
func opCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), adminTimeout)
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error
	return hex.EncodeToString(b)
}
