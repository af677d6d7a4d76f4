package main

import (
	"context"
	_ "embed"
	"fmt"
	"os"
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
	out := sinks.NewWriterSink(os.Stdout)
	s, err := newService(ctx, cfg, log, serviceOptions{eventTime: true, provider: provider,
		sinks: []sinks.Sink{out}})
	if err != nil {
		return err
	}
	return c.consume(ctx, s, cfg, len(msgs))
}

// consume runs the service until the input is consumed, raises what is
// still due, and prints a summary on stderr.
func (c *demoCmd) consume(ctx context.Context, s *service, cfg config.Config, messages int) error {
	defer s.close(ctx)
	adm := kadm.NewClient(s.kafka)
	if err := s.consumeFinite(ctx, func() error {
		return stream.WaitDrained(ctx, adm, cfg.Kafka.Group, c.Timeout, func() {}, cfg.Kafka.Topics...)
	}); err != nil {
		return err
	}
	st := s.pipe.Stats.Snapshot()
	fmt.Fprintf(os.Stderr, "flarewatch demo: %d messages, %d alerts (create %d, update %d, close %d), "+
		"%d dead letters\n", messages, st.Created+st.Updated+st.Closed, st.Created, st.Updated, st.Closed,
		st.DeadLetters)
	return nil
}

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

// defaultDemoTimeout is the demo's --timeout default.
const defaultDemoTimeout = 2 * time.Minute
