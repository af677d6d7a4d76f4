package telemetry_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flarewatch/flarewatch/stream/telemetry"
)

func TestRedisHook(t *testing.T) {
	tel, srv := setup(t, telemetry.Options{}, nil)
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	defer rdb.Close()
	rdb.AddHook(tel.RedisHook())
	ctx := context.Background()

	if err := rdb.Set(ctx, "fw:{a}:cert", "1", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Get(ctx, "fw:{b}:cert").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET of a missing key: %v, want redis.Nil", err)
	}
	pipe := rdb.Pipeline()
	pipe.Get(ctx, "fw:{a}:cert")
	pipe.Expire(ctx, "fw:{a}:cert", time.Hour)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}

	samples := scrape(t, srv)
	for series, want := range map[string]float64{
		`flarewatch_redis_latency_seconds_count{command="set",result="ok"}`:      1,
		`flarewatch_redis_latency_seconds_count{command="get",result="ok"}`:      1, // redis.Nil is an answer
		`flarewatch_redis_latency_seconds_count{command="pipeline",result="ok"}`: 1,
	} {
		if got := samples[series]; got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
}

// newKafka starts a one-broker kfake cluster with topic (one partition).
func newKafka(t *testing.T, topic string) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topic))
	if err != nil {
		t.Fatalf("start kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestKafkaHooks(t *testing.T) {
	tel, srv := setup(t, telemetry.Options{}, nil)
	c := newKafka(t, "flarewatch-alerts")
	opts := append([]kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}, tel.KafkaHooks()...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()

	ctx := context.Background()
	for range 2 {
		rec := &kgo.Record{Topic: "flarewatch-alerts", Value: []byte(`{}`)}
		if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}

	samples := scrape(t, srv)
	series := `flarewatch_kafka_produce_latency_seconds_count{result="ok",topic="flarewatch-alerts"}`
	if got := samples[series]; got != 2 {
		t.Errorf("%s = %v, want 2", series, got)
	}
	var kotel []string
	for s := range samples {
		if strings.HasPrefix(s, "messaging_kafka_") {
			kotel = append(kotel, s)
		}
	}
	if len(kotel) == 0 {
		t.Error("no messaging_kafka_* series from the kotel hooks")
	}
	if !hasFamily(samples, "messaging_kafka_produce_records_count_total") {
		t.Errorf("no messaging_kafka_produce_records_count_total; kotel series: %v", kotel)
	}
}

func TestGroupLag(t *testing.T) {
	const topic, group = "mde-events", "flarewatch"
	tel, srv := setup(t, telemetry.Options{}, nil)
	c := newKafka(t, topic)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()

	// Five records, of which the group has committed two.
	for range 5 {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("{}")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	adm := kadm.NewClient(cl)
	var offsets kadm.Offsets
	offsets.AddOffset(topic, 0, 2, -1)
	resp, err := adm.CommitOffsets(ctx, group, offsets)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		t.Fatalf("commit: %v", err)
	}

	if err := tel.ObserveLag(telemetry.GroupLag(adm, group, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	series := `flarewatch_consumer_lag{partition="0",topic="mde-events"}`
	if got := scrape(t, srv)[series]; got != 3 {
		t.Errorf("%s = %v, want 3", series, got)
	}
}
