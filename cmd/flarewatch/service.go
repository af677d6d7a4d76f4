package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/sinks"
	"github.com/flarewatch/flarewatch/state"
	"github.com/flarewatch/flarewatch/stream"
	"github.com/flarewatch/flarewatch/stream/enrich"
	"github.com/flarewatch/flarewatch/stream/rule"
)

// service is one running flarewatch: clients, pipeline, consumer.
type service struct {
	cfg      config.Config
	log      *slog.Logger
	rdb      redis.UniversalClient
	kafka    *kgo.Client
	pipe     *stream.Pipeline
	consumer *stream.Consumer
	extra    []sinks.Sink            // sinks besides Kafka, closed at the end
	refused  *sinks.DeadLetterAlerts // the HTTP sinks' dead letters, closed after them
}

// serviceOptions are what the demo and tests change about a service.
type serviceOptions struct {
	eventTime bool            // the grace runs on the watermark
	provider  enrich.Provider // overrides the configured provider
	sinks     []sinks.Sink    // extra alert sinks
	dead      sinks.DeadLetterSink
	redisHook redis.Hook // sees every Redis command (bench, tests)
	kafkaOpts []kgo.Opt  // added to the client's options
}

// newService connects to Kafka and Redis and builds the pipeline.
func newService(ctx context.Context, cfg config.Config, log *slog.Logger, o serviceOptions) (*service, error) {
	s := &service{cfg: cfg, log: log}
	s.rdb = newRedis(cfg.Redis)
	if o.redisHook != nil {
		s.rdb.AddHook(o.redisHook)
	}
	opts, err := stream.ClientOptions(cfg.Kafka)
	if err != nil {
		return nil, err
	}
	opts = append(opts, lifecycleLogs(log)...)
	if s.kafka, err = kgo.NewClient(append(opts, o.kafkaOpts...)...); err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	if err := s.setup(ctx, cfg, o); err != nil {
		s.close(ctx)
		return nil, err
	}
	return s, nil
}

func (s *service) setup(ctx context.Context, cfg config.Config, o serviceOptions) error {
	ranges, err := cfg.Rule.LoadRanges()
	if err != nil {
		return err
	}
	provider := o.provider
	if provider == nil {
		if provider, err = newProvider(cfg.Enrichment, s.rdb, cfg.Redis.Namespace); err != nil {
			return err
		}
	}
	if cfg.Kafka.CreateTopics {
		adm := kadm.NewClient(s.kafka)
		if err := sinks.EnsureTopics(ctx, adm, 1, cfg.Kafka.AlertTopic, cfg.Kafka.DeadLetterTopic); err != nil {
			return fmt.Errorf("create topics: %w", err)
		}
	}
	st := state.New(s.rdb, cfg.Redis.Namespace, stateOptions(cfg))
	if err := st.LoadScripts(ctx); err != nil {
		return err
	}
	out, err := s.alertSinks(cfg)
	if err != nil {
		return err
	}
	s.extra = append(s.extra, o.sinks...)
	out = append(out, o.sinks...)
	dead := o.dead
	if dead == nil {
		dead = sinks.NewKafkaDeadLetters(s.kafka, cfg.Kafka.DeadLetterTopic)
	}
	r := rule.New(rule.Profile(cfg.Rule.Profile), ranges)
	clock := stream.NewClock(cfg.Rule.AllowedLateness.Std(), cfg.Rule.CertGrace.Std(), o.eventTime)
	s.pipe = stream.New(r, st, clock, sinks.Multi(out...), dead, provider, pipelineOptions(cfg))
	s.pipe.Log = s.log
	s.pipe.Profiles.TTL = cfg.Enrichment.CacheTTL.Std()
	s.pipe.Profiles.UnknownTTL = cfg.Enrichment.UnknownTTL.Std()
	s.consumer = stream.NewConsumer(s.kafka, s.pipe)
	s.consumer.Drain = cfg.ShutdownTimeout.Std()
	return nil
}

func stateOptions(cfg config.Config) state.Options {
	r := cfg.Rule
	return state.Options{
		Lookback:       r.Lookback.Std(),
		Bucket:         r.Bucket.Std(),
		DedupWindow:    r.DedupWindow.Std(),
		UpdateInterval: r.UpdateInterval.Std(),
		MaxSamples:     r.MaxListItems,
		WaitReplicas:   cfg.Redis.WaitReplicas,
		WaitTimeout:    cfg.Redis.WaitTimeout.Std(),
	}
}

func pipelineOptions(cfg config.Config) stream.Options {
	o := stream.DefaultOptions()
	o.SeparateTenants = cfg.Tenants == config.TenantsSeparate
	o.Lookback = cfg.Rule.Lookback.Std()
	o.MaxPrevalence = cfg.Rule.MaxPrevalence
	o.MaxListItems = cfg.Rule.MaxListItems
	return o
}

func newRedis(c config.Redis) redis.UniversalClient {
	o := &redis.UniversalOptions{
		Addrs:         c.Addrs,
		MasterName:    c.MasterName,
		Username:      c.Username,
		Password:      c.Password.Reveal(),
		DB:            c.DB,
		IsClusterMode: c.Mode == config.RedisCluster,
	}
	if c.TLS.Enabled {
		// Validated by config; a bad file fails at the first connection.
		o.TLSConfig, _ = stream.TLSConfig(c.TLS)
	}
	return redis.NewUniversalClient(o)
}

func newProvider(c config.Enrichment, rdb redis.UniversalClient, ns string) (enrich.Provider, error) {
	switch c.Provider {
	case config.ProviderMDE:
		m, err := enrich.NewMDEFromConfig(c.MDE, rdb, ns)
		if err != nil {
			return nil, err
		}
		return m, nil
	case config.ProviderFile:
		f, err := enrich.OpenFile(c.File)
		if err != nil {
			return nil, err
		}
		return f, nil
	case config.ProviderNone, "":
		return enrich.None{}, nil
	default:
		return nil, fmt.Errorf("enrichment.provider %q is not available in this build", c.Provider)
	}
}

// run consumes and raises alerts until ctx ends, then stops within the
// shutdown timeout: finish and commit the work in hand, flush the producer.
func (s *service) run(ctx context.Context) error {
	s.log.Info("started", "topics", s.cfg.Kafka.Topics, "group", s.cfg.Kafka.Group,
		"profile", s.cfg.Rule.Profile, "namespace", s.cfg.Redis.Namespace)
	sched := make(chan error, 1)
	go func() { sched <- s.pipe.RunScheduler(ctx, time.Second) }()
	err := s.consumer.Run(ctx)
	s.log.Info("shutting down")
	<-sched
	s.close(ctx)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// close flushes the producer and closes everything, within the shutdown
// timeout, on a context that outlives ctx.
func (s *service) close(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout.Std())
	defer cancel()
	if s.kafka != nil {
		if err := s.kafka.Flush(ctx); err != nil {
			s.log.Warn("flush", "err", err)
		}
	}
	for _, x := range s.extra {
		if err := x.Close(ctx); err != nil {
			s.log.Warn("close sink", "err", err)
		}
	}
	if s.refused != nil {
		if err := s.refused.Close(ctx); err != nil {
			s.log.Warn("close dead-letter alerts", "err", err)
		}
	}
	if s.kafka != nil {
		s.kafka.Close()
	}
	if s.rdb != nil {
		_ = s.rdb.Close()
	}
}

// lifecycleLogs log partition assignments at info: the lifecycle of a
// consumer, never a line per record.
func lifecycleLogs(log *slog.Logger) []kgo.Opt {
	logged := func(what string) func(context.Context, *kgo.Client, map[string][]int32) {
		return func(_ context.Context, _ *kgo.Client, parts map[string][]int32) {
			if len(parts) > 0 {
				log.Info(what, "partitions", parts)
			}
		}
	}
	return []kgo.Opt{
		kgo.OnPartitionsAssigned(logged("partitions assigned")),
		kgo.OnPartitionsRevoked(logged("partitions revoked")),
		kgo.OnPartitionsLost(logged("partitions lost")),
	}
}

// farFuture is "every pending hash is due": the end of a finite input.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// consumeFinite runs the consumer until consumed reports the input read,
// then raises every alert still waiting out the grace period: at the end
// of a finite input (demo, replay, tests) every pending hash is due.
func (s *service) consumeFinite(ctx context.Context, consumed func() error) error {
	runCtx, cancel := context.WithCancel(ctx)
	finished := make(chan error, 1)
	go func() { finished <- s.consumer.Run(runCtx) }()
	err := consumed()
	cancel()
	if runErr := <-finished; err == nil && !errors.Is(runErr, context.Canceled) {
		err = runErr
	}
	if err != nil {
		return err
	}
	if _, err := s.pipe.FlushDue(ctx, farFuture); err != nil {
		return fmt.Errorf("raise due alerts: %w", err)
	}
	return nil
}
