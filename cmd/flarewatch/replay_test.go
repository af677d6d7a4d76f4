package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/segmentio/encoding/json"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/deploy/testenv"
	"github.com/flarewatch/flarewatch/sinks"
	"github.com/flarewatch/flarewatch/stream/enrich"
	"github.com/flarewatch/flarewatch/stream/gen"
	"github.com/flarewatch/flarewatch/stream/hunt"
	"github.com/flarewatch/flarewatch/stream/rule"
)

// A replay over the last 30 of 40 days of generated traffic alerts on the
// planted hashes seen in that range, twice with the same ids and contents,
// touches no key outside its namespace and leaves none behind.
func TestReplayIsRepeatableAndIsolated(t *testing.T) {
	brokers := testenv.Kafka(t)
	rdb, prefix := testenv.RedisNS(t)
	topic := testenv.Topic(t, brokers, 3)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	o := gen.DefaultOptions()
	o.Seed, o.Records, o.Start, o.End = 11, 6000, start, start.Add(40*24*time.Hour)
	d := gen.Generate(o)
	produceAt(t, brokers, topic, d.Messages)

	cfg := config.Default()
	cfg.Kafka.Brokers = brokers
	cfg.Redis.Addrs = []string{rdb.(*redis.Client).Options().Addr}
	cfg.Log.Level = "warn"
	cfg.Enrichment.Provider = "file"
	cfg.Enrichment.File = writeProfiles(t, d)
	from := start.Add(10 * 24 * time.Hour)
	c := &replayCmd{From: from, To: o.End.Add(time.Hour), Topic: topic, Timeout: 2 * time.Minute}

	var touched keyRecorder
	runs := make([]*replayResult, 2)
	for i := range runs {
		c.Namespace = strings.TrimSuffix(prefix, ":") + "r" + string(rune('0'+i))
		res, err := c.replayWith(context.Background(), cfg, &touched)
		if err != nil {
			t.Fatal(err)
		}
		runs[i] = res
		if left := countKeys(t, rdb, c.Namespace+":*"); left != 0 {
			t.Errorf("run %d left %d keys in its namespace", i, left)
		}
		for _, k := range touched.take() {
			if !strings.HasPrefix(k, c.Namespace+":") {
				t.Errorf("run %d touched key %q outside its namespace", i, k)
			}
		}
	}
	if len(runs[0].alerts) == 0 {
		t.Fatal("the replay raised no alert")
	}
	if a, b := canonical(t, runs[0].alerts), canonical(t, runs[1].alerts); a != b {
		t.Errorf("two replays differ:\n%s\n---\n%s", a, b)
	}
	// The replay alerts on exactly the hashes hunt finds over the same
	// records at the end of the range, with a 30-day lookback.
	provider := datasetProfiles(d)
	hu := hunt.New(hunt.Options{Profile: rule.Default, Now: o.End, Provider: provider})
	for _, m := range d.Messages {
		_ = hu.Add(m)
	}
	rows, err := hu.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, r := range rows {
		want[r.SHA1] = true
	}
	got := alertedHashes(runs[0].alerts)
	for h := range want {
		if !got[h] {
			t.Errorf("hunt finds %s, the replay did not alert", h)
		}
	}
	for h := range got {
		if !want[h] {
			t.Errorf("the replay alerted on %s, hunt does not find it", h)
		}
	}
}

// replayWith is replay with a hook recording the keys of every command.
func (c *replayCmd) replayWith(ctx context.Context, cfg config.Config, hook redis.Hook) (*replayResult, error) {
	return c.replay(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), hook)
}

// canonical renders alerts without their emission time, in a stable order.
func canonical(t *testing.T, alerts []sinks.Alert) string {
	t.Helper()
	lines := make([]string, len(alerts))
	for i, a := range alerts {
		a.EmittedAt = time.Time{}
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		lines[i] = string(b)
	}
	sortStrings(lines)
	return strings.Join(lines, "\n")
}

// produceAt produces messages with the Kafka timestamp of their first
// record's export time, as the streaming API's messages would carry.
func produceAt(t *testing.T, brokers []string, topic string, msgs [][]byte) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic(topic),
		kgo.ProducerBatchMaxBytes(4<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	recs := make([]*kgo.Record, len(msgs))
	for i, m := range msgs {
		var env struct {
			Records []struct {
				Time time.Time `json:"time"`
			} `json:"records"`
		}
		if err := json.Unmarshal(m, &env); err != nil || len(env.Records) == 0 {
			t.Fatalf("message %d: %v", i, err)
		}
		recs[i] = &kgo.Record{Value: m, Timestamp: env.Records[0].Time}
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func countKeys(t *testing.T, rdb redis.UniversalClient, pattern string) int {
	t.Helper()
	n := 0
	iter := rdb.Scan(context.Background(), 0, pattern, 1000).Iterator()
	for iter.Next(context.Background()) {
		n++
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// keyRecorder is a Redis hook that records the keys each command names.
type keyRecorder struct {
	mu   sync.Mutex
	keys []string
}

func (r *keyRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := r.keys
	r.keys = nil
	return k
}

func (r *keyRecorder) record(cmd redis.Cmder) {
	args := cmd.Args()
	r.mu.Lock()
	defer r.mu.Unlock()
	switch name := cmd.Name(); name {
	case "evalsha", "eval":
		n, _ := args[2].(int)
		for _, k := range args[3 : 3+n] {
			r.keys = append(r.keys, k.(string))
		}
	case "ping", "script", "scan", "hello", "client", "cluster", "info":
	default:
		if len(args) > 1 {
			if k, ok := args[1].(string); ok {
				r.keys = append(r.keys, k)
			}
		}
	}
}

func (r *keyRecorder) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *keyRecorder) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { r.record(cmd); return next(ctx, cmd) }
}
func (r *keyRecorder) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			r.record(c)
		}
		return next(ctx, cmds)
	}
}

func datasetProfiles(d gen.Dataset) enrich.Provider {
	m := map[string]enrich.Profile{}
	for h, p := range d.Profiles {
		m[h] = enrich.Profile{SHA1: h, SHA256: p.SHA256, SignatureState: p.SignatureState,
			GlobalPrevalence: p.GlobalPrevalence, Known: true, Source: "file"}
	}
	return enrich.NewStatic(m)
}

func writeProfiles(t *testing.T, d gen.Dataset) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "profiles.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := d.WriteProfiles(f); err != nil {
		t.Fatal(err)
	}
	return path
}
