package testenv

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The smoke tests prove that `make test` really talks to the services that
// testenv.sh starts: behaviour an embedded stand-in would not show, and
// checks that the client reached the configured address.

func TestSmokeKafkaGroupResumesAfterCommit(t *testing.T) {
	brokers := RealKafka(t)
	topic := Topic(t, brokers, 3)
	group := "fw-test-group-" + unique(4)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	produce(t, ctx, brokers, topic, values(0, 10))
	if got := consume(t, ctx, brokers, topic, group, 10); !slices.Equal(got, values(0, 10)) {
		t.Fatalf("first member consumed %v, want %v", got, values(0, 10))
	}
	if n := committed(t, ctx, brokers, group, topic); n != 10 {
		t.Fatalf("group %s committed %d records, want 10", group, n)
	}

	produce(t, ctx, brokers, topic, values(10, 15))
	if got := consume(t, ctx, brokers, topic, group, 5); !slices.Equal(got, values(10, 15)) {
		t.Fatalf("second member consumed %v, want only the new %v", got, values(10, 15))
	}
}

func TestSmokeKafkaListOffsetsAfterMilli(t *testing.T) {
	brokers := Kafka(t)
	topic := Topic(t, brokers, 1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// Five records one second apart, an hour ago: offset i at base+i s.
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	var recs []*kgo.Record
	for i := range 5 {
		ts := base.Add(time.Duration(i) * time.Second)
		recs = append(recs, &kgo.Record{Topic: topic, Value: []byte{byte(i)}, Timestamp: ts})
	}
	produceRecords(t, ctx, brokers, recs)

	cl := client(t, brokers)
	adm := kadm.NewClient(cl)
	tests := []struct {
		name   string
		after  time.Duration
		offset int64
	}{
		{"before the first record", -time.Minute, 0},
		{"at the first record", 0, 0},
		{"just after the first record", time.Millisecond, 1},
		{"at the third record", 2 * time.Second, 2},
		{"between the fourth and fifth", 3500 * time.Millisecond, 4},
		{"after the last record: end offset", time.Minute, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			milli := base.Add(tt.after).UnixMilli()
			listed, err := adm.ListOffsetsAfterMilli(ctx, milli, topic)
			if err != nil {
				t.Fatal(err)
			}
			o, ok := listed.Lookup(topic, 0)
			if !ok || o.Err != nil {
				t.Fatalf("no offset listed for %s/0: %v", topic, o.Err)
			}
			if o.Offset != tt.offset {
				t.Errorf("offset after %d = %d, want %d", milli, o.Offset, tt.offset)
			}
			if tt.offset < 5 && o.Timestamp != recs[tt.offset].Timestamp.UnixMilli() {
				t.Errorf("timestamp at offset %d = %d, want the record's %d",
					o.Offset, o.Timestamp, recs[tt.offset].Timestamp.UnixMilli())
			}
		})
	}
}

func TestSmokeKafkaTwoMegabyteMessage(t *testing.T) {
	brokers := RealKafka(t)
	topic := Topic(t, brokers, 1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// Random bytes do not compress, so the batch is over the broker's
	// default 1 MiB limit and passes only with message.max.bytes raised.
	big := make([]byte, 2<<20)
	_, _ = rand.Read(big)
	cl := client(t, brokers, kgo.ProducerBatchMaxBytes(4<<20),
		kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxBytes(8<<20), kgo.FetchMaxPartitionBytes(8<<20))
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: big}).FirstErr(); err != nil {
		t.Fatalf("produce 2 MiB: %v", err)
	}
	got := poll(t, ctx, cl, 1)
	if !slices.Equal(got[0].Value, big) {
		t.Errorf("consumed %d bytes, not the 2 MiB produced", len(got[0].Value))
	}
}

func TestSmokeRedisLua(t *testing.T) {
	c, prefix := RedisNS(t)
	ctx := context.Background()
	if addr := os.Getenv(EnvRedis); addr != "" {
		requireServerAt(t, c, addr)
	}

	script := redis.NewScript(`
		local n = redis.call('INCRBY', KEYS[1], ARGV[1])
		redis.call('SET', KEYS[2], ARGV[2])
		return {n, redis.call('GET', KEYS[2])}`)
	keys := []string{prefix + "fw:count", prefix + "fw:last"}
	tests := []struct {
		by, last string
		want     []any
	}{
		{"5", "first", []any{int64(5), "first"}},
		{"7", "second", []any{int64(12), "second"}},
	}
	for _, tt := range tests {
		got, err := script.Run(ctx, c, keys, tt.by, tt.last).Slice()
		if err != nil {
			t.Fatalf("script with %s: %v", tt.by, err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("script with %s = %v, want %v", tt.by, got, tt.want)
		}
	}
}

func TestSmokeRedisClusterLuaOnHashTag(t *testing.T) {
	c, prefix := RedisClusterNS(t)
	ctx := context.Background()
	requireThreeMasters(t, c)

	x, y := prefix+"fw:{abc}:x", prefix+"fw:{abc}:y"
	sx, sy, stag := keyslot(t, c, x), keyslot(t, c, y), keyslot(t, c, "{abc}")
	if sx != sy || sx != stag {
		t.Fatalf("CLUSTER KEYSLOT %s=%d %s=%d {abc}=%d, want one slot", x, sx, y, sy, stag)
	}

	script := redis.NewScript(`
		redis.call('SET', KEYS[1], ARGV[1])
		redis.call('SET', KEYS[2], ARGV[2])
		return redis.call('GET', KEYS[1]) .. '+' .. redis.call('GET', KEYS[2])`)
	got, err := script.Run(ctx, c, []string{x, y}, "1", "2").Text()
	if err != nil || got != "1+2" {
		t.Fatalf("script on %s, %s = %q, %v; want \"1+2\"", x, y, got, err)
	}

	// Keys in different slots in one script: a real cluster refuses.
	a, b := prefix+"fw:a", prefix+"fw:b"
	if keyslot(t, c, a) == keyslot(t, c, b) {
		t.Fatalf("%s and %s share a slot; pick other keys", a, b)
	}
	if err := script.Run(ctx, c, []string{a, b}, "1", "2").Err(); err == nil {
		t.Errorf("script across slots %s, %s succeeded; want a cross-slot error", a, b)
	}
}

// requireServerAt checks that c reached the server listening on addr.
func requireServerAt(t *testing.T, c redis.UniversalClient, addr string) {
	t.Helper()
	info, err := c.Info(context.Background(), "server").Result()
	if err != nil {
		t.Fatalf("INFO server: %v", err)
	}
	_, port, _ := strings.Cut(addr, ":")
	if !strings.Contains(info, "redis_version:") || !strings.Contains(info, "tcp_port:"+port+"\r") {
		t.Fatalf("INFO server does not describe a redis-server on %s:\n%s", addr, info)
	}
}

// requireThreeMasters checks that the cluster splits its slots over three
// masters, as testenv.sh creates it.
func requireThreeMasters(t *testing.T, c *redis.ClusterClient) {
	t.Helper()
	slots, err := c.ClusterSlots(context.Background()).Result()
	if err != nil {
		t.Fatalf("CLUSTER SLOTS: %v", err)
	}
	masters := map[string]bool{}
	for _, s := range slots {
		masters[s.Nodes[0].Addr] = true
	}
	if len(masters) != 3 {
		t.Fatalf("cluster slots are served by %d masters, want 3: %v", len(masters), slots)
	}
}

func keyslot(t *testing.T, c *redis.ClusterClient, key string) int64 {
	t.Helper()
	s, err := c.ClusterKeySlot(context.Background(), key).Result()
	if err != nil {
		t.Fatalf("CLUSTER KEYSLOT %s: %v", key, err)
	}
	return s
}

// values returns the record values "000" ... for lo <= i < hi.
func values(lo, hi int) []string {
	var out []string
	for i := lo; i < hi; i++ {
		out = append(out, fmt.Sprintf("%03d", i))
	}
	return out
}
