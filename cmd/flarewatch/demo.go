package main

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/sinks"
	"github.com/flarewatch/flarewatch/stream"
	"github.com/flarewatch/flarewatch/stream/enrich"
)

//go:embed demodata/synthetic-eventhub-message.ndjson
var syntheticMessage []byte

type demoCmd struct {
	Input        string        `help:"File of Kafka message values, one per line (gzip allowed); replaces the bundled traffic." type:"existingfile"`
	FileProfiles string        `help:"FileProfile answers (CSV or JSON lines); replaces the bundled ones." type:"existingfile"`
	Profile      string        `help:"Rule profile: default or kql-parity." default:"default" enum:"default,kql-parity"`
	Partitions   int32         `help:"Partitions of the embedded input topic." default:"3"`
	Timeout      time.Duration `help:"Give up when the input is not consumed within this time." default:"2m"`
	Verbose      bool          `help:"Log at debug level."`
}

// Run starts an embedded Kafka (kfake) and Redis (miniredis), produces the
// input, runs the pipeline over it, and prints each alert as a JSON line.
// The grace period runs on event time, and when the input is consumed every
// hash still waiting is due: the demo shows what a live run would alert
// once the grace period has passed.
func (c *demoCmd) Run(ctx context.Context) error {
	level := "warn"
	if c.Verbose {
		level = "debug"
	}
	log := newLogger(level, "text")
	msgs, provider, err := c.inputs()
	if err != nil {
		return err
	}
	cfg := config.Default()
	cfg.Rule.Profile = c.Profile
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1),
		kfake.SeedTopics(c.Partitions, cfg.Kafka.Topics...),
		kfake.SeedTopics(1, cfg.Kafka.AlertTopic, cfg.Kafka.DeadLetterTopic))
	if err != nil {
		return fmt.Errorf("embedded kafka: %w", err)
	}
	defer cluster.Close()
	mr, err := miniredis.Run()
	if err != nil {
		return fmt.Errorf("embedded redis: %w", err)
	}
	defer mr.Close()
	cfg.Kafka.Brokers = cluster.ListenAddrs()
	cfg.Redis.Addrs = []string{mr.Addr()}
	if err := produce(ctx, cfg.Kafka.Brokers, cfg.Kafka.Topics[0], msgs); err != nil {
		return err
	}
	counts := &countingSink{}
	out := sinks.NewWriterSink(os.Stdout)
	s, err := newService(ctx, cfg, log, serviceOptions{eventTime: true, provider: provider,
		sinks: []sinks.Sink{out, counts}})
	if err != nil {
		return err
	}
	return c.consume(ctx, s, cfg, log, len(msgs), counts)
}

// consume runs the service until the input is consumed, raises what is
// still due, and prints a summary on stderr.
func (c *demoCmd) consume(ctx context.Context, s *service, cfg config.Config, log *slog.Logger,
	messages int, counts *countingSink) error {
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var runErr error
	wg.Add(1)
	go func() { defer wg.Done(); runErr = s.consumer.Run(runCtx) }()
	adm := kadm.NewClient(s.kafka)
	drainErr := stream.WaitDrained(ctx, adm, cfg.Kafka.Group, c.Timeout, cancel, cfg.Kafka.Topics...)
	wg.Wait()
	if drainErr != nil {
		s.close(ctx)
		return drainErr
	}
	_ = runErr
	if _, err := s.pipe.FlushDue(ctx, farFuture); err != nil {
		s.close(ctx)
		return fmt.Errorf("raise due alerts: %w", err)
	}
	dead := deadLetterCount(ctx, adm, cfg.Kafka.DeadLetterTopic)
	s.close(ctx)
	fmt.Fprintf(os.Stderr, "flarewatch demo: %d messages, %s, %d dead letters\n",
		messages, counts, dead)
	log.Debug("demo done")
	return nil
}

// farFuture is "every pending hash is due": the end of a finite input.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// inputs returns the messages and the FileProfile provider of the demo.
func (c *demoCmd) inputs() ([][]byte, enrich.Provider, error) {
	var msgs [][]byte
	var provider enrich.Provider = enrich.None{}
	var err error
	if c.Input != "" {
		if msgs, err = readMessages(c.Input); err != nil {
			return nil, nil, err
		}
	} else {
		msgs, provider, err = bundledTraffic()
		if err != nil {
			return nil, nil, err
		}
	}
	if c.FileProfiles != "" {
		if provider, err = enrich.OpenFile(c.FileProfiles); err != nil {
			return nil, nil, err
		}
	}
	return msgs, provider, nil
}

func produce(ctx context.Context, brokers []string, topic string, msgs [][]byte) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic(topic),
		kgo.ProducerBatchMaxBytes(16<<20))
	if err != nil {
		return err
	}
	defer cl.Close()
	recs := make([]*kgo.Record, len(msgs))
	for i, m := range msgs {
		recs[i] = &kgo.Record{Value: m}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("produce input: %w", err)
	}
	return nil
}

func deadLetterCount(ctx context.Context, adm *kadm.Client, topic string) int64 {
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return -1
	}
	var n int64
	ends.Each(func(o kadm.ListedOffset) { n += o.Offset })
	return n
}

// countingSink counts alerts by activity.
type countingSink struct {
	mu sync.Mutex
	n  map[sinks.Activity]int
}

func (c *countingSink) Publish(_ context.Context, alerts []sinks.Alert) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[sinks.Activity]int{}
	}
	for _, a := range alerts {
		c.n[a.Activity]++
	}
	return nil
}

func (c *countingSink) Close(context.Context) error { return nil }

func (c *countingSink) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d alerts (create %d, update %d, close %d)",
		c.n[sinks.ActivityCreate]+c.n[sinks.ActivityUpdate]+c.n[sinks.ActivityClose],
		c.n[sinks.ActivityCreate], c.n[sinks.ActivityUpdate], c.n[sinks.ActivityClose])
	return b.String()
}

// defaultDemoTimeout is the demo's --timeout default.
const defaultDemoTimeout = 2 * time.Minute
