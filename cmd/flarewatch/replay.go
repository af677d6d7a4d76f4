package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/sinks"
	"github.com/flarewatch/flarewatch/stream"
)

type replayCmd struct {
	Config     string        `help:"Configuration file (YAML); the environment overrides it." type:"existingfile"`
	From       time.Time     `help:"Start of the range (RFC 3339), by Kafka timestamp." required:""`
	To         time.Time     `help:"End of the range (RFC 3339), exclusive." required:""`
	Topic      string        `help:"Topic to replay; default the first input topic."`
	Namespace  string        `help:"Redis namespace of the replay's state; default a new one per run."`
	Out        string        `help:"Write the alerts as JSON lines to this file ('-' for stdout)."`
	AlertTopic string        `help:"Publish the alerts to this topic."`
	Report     string        `help:"Write an HTML report to this file."`
	Keep       bool          `help:"Keep the replay's state in Redis when done."`
	Set        []string      `help:"Override a setting, as path=value (for example rule.lookback=14d)." sep:"none"`
	Compare    string        `help:"Replay again with this configuration and report the alerts gained and lost." type:"existingfile"`
	Timeout    time.Duration `help:"Give up when the range is not consumed within this time." default:"1h"`
}

// Run replays the range once (twice with --compare) and reports.
func (c *replayCmd) Run(ctx context.Context) error {
	cfg, err := loadWithSets(c.Config, c.Set)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log.Level, cfg.Log.Format)
	slog.SetDefault(log)
	res, err := c.replay(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "flarewatch replay: %s\n", res)
	if c.Compare != "" {
		other, err := loadWithSets(c.Compare, c.Set)
		if err != nil {
			return err
		}
		res2, err := c.replay(ctx, other, log, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "flarewatch replay (compare): %s\n", res2)
		writeComparison(os.Stdout, res, res2)
	}
	if c.Report != "" {
		return writeReport(c.Report, c, res)
	}
	return nil
}

// loadWithSets loads a configuration with --set overrides applied as if
// they were environment variables, which they take precedence over.
func loadWithSets(path string, sets []string) (config.Config, error) {
	over := map[string]string{}
	for _, s := range sets {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return config.Config{}, fmt.Errorf("--set %q: want path=value", s)
		}
		over[config.EnvName(strings.TrimSpace(k))] = v
	}
	return config.LoadFrom(path, func(name string) (string, bool) {
		if v, ok := over[name]; ok {
			return v, true
		}
		return os.LookupEnv(name)
	})
}

// replayResult is what one replay produced.
type replayResult struct {
	namespace string
	alerts    []sinks.Alert
	stats     stream.Snapshot
	records   int64
	took      time.Duration
	removed   int64
}

func (r *replayResult) String() string {
	rate := float64(r.stats.Records) / max(r.took.Seconds(), 1e-9)
	return fmt.Sprintf("namespace %s: %d offsets, %d records in %s (%.0f records/s), %d candidates, "+
		"%d alerts (create %d, update %d, close %d), %d dead letters, %d keys removed",
		r.namespace, r.records, r.stats.Records, r.took.Round(time.Millisecond), rate,
		r.stats.Candidates, len(r.alerts), r.stats.Created, r.stats.Updated, r.stats.Closed,
		r.stats.DeadLetters, r.removed)
}

// replay runs one replay of the range with cfg.
func (c *replayCmd) replay(ctx context.Context, cfg config.Config, log *slog.Logger, hook redis.Hook) (*replayResult, error) {
	ns := c.Namespace
	if ns == "" {
		ns = cfg.Redis.Namespace + "-replay-" + randomID()
	}
	topic := c.Topic
	if topic == "" {
		topic = cfg.Kafka.Topics[0]
	}
	cfg.Redis.Namespace = ns
	cfg.Kafka.Topics = []string{topic}
	cfg.Kafka.Group = "flarewatch-replay-" + ns
	cfg.Sinks.Kafka = c.AlertTopic != ""
	cfg.Kafka.AlertTopic = c.AlertTopic
	cfg.Kafka.CreateTopics = c.AlertTopic != ""
	// A backtest's alerts go where its flags say, never to a live SIEM or SOAR.
	cfg.Sinks.Webhook.URL, cfg.Sinks.SplunkHEC.URL, cfg.Sinks.Sentinel.Endpoint = "", "", ""
	collect := &collectSink{}
	extra := []sinks.Sink{collect}
	if c.Out == "-" {
		extra = append(extra, sinks.NewWriterSink(os.Stdout))
	} else if c.Out != "" {
		f, err := sinks.OpenFileSink(c.Out)
		if err != nil {
			return nil, err
		}
		extra = append(extra, f)
	}
	s, err := newService(ctx, cfg, log, serviceOptions{eventTime: true, sinks: extra,
		dead: sinks.NewWriterDeadLetters(io.Discard), redisHook: hook,
		// The run's group starts each partition at the first record at or
		// after --from; a second process of the run joins where it is.
		kafkaOpts: []kgo.Opt{kgo.ConsumeResetOffset(kgo.NewOffset().AfterMilli(c.From.UnixMilli()))}})
	if err != nil {
		return nil, err
	}
	res, err := c.consume(ctx, s, cfg, topic)
	if err == nil && !c.Keep {
		res.removed, err = s.pipe.Store.DeleteNamespace(ctx)
	}
	s.close(ctx)
	if err != nil {
		return nil, err
	}
	res.namespace, res.alerts = ns, collect.all()
	return res, nil
}

// consume plans the range, runs the consumer over it, and raises what is
// still due at its end.
func (c *replayCmd) consume(ctx context.Context, s *service, cfg config.Config, topic string) (*replayResult, error) {
	adm := kadm.NewClient(s.kafka)
	plan, err := stream.PlanReplay(ctx, adm, topic, c.From, c.To)
	if err != nil {
		return nil, err
	}
	s.consumer.Until = map[string]map[int32]int64{topic: plan.End}
	start := time.Now()
	// The end of the range is the end of the input.
	if err := s.consumeFinite(ctx, func() error {
		return watchReplay(ctx, adm, cfg.Kafka.Group, plan, c.Timeout)
	}); err != nil {
		return nil, err
	}
	return &replayResult{stats: s.pipe.Stats.Snapshot(), records: plan.Records(), took: time.Since(start)}, nil
}

func randomID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// collectSink keeps every alert, for the report and the comparison.
type collectSink struct {
	mu     sync.Mutex
	alerts []sinks.Alert
}

func (c *collectSink) Publish(_ context.Context, alerts []sinks.Alert) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.alerts = append(c.alerts, alerts...)
	return nil
}

func (c *collectSink) Close(context.Context) error { return nil }

func (c *collectSink) all() []sinks.Alert {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]sinks.Alert(nil), c.alerts...)
}
