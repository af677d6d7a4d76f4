package main

import (
	"context"
	"errors"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/stream/ranges"
	"github.com/flarewatch/flarewatch/stream/telemetry"
)

type runCmd struct {
	Config string `help:"Configuration file (YAML); the environment overrides it." type:"existingfile"`
}

// lagTimeout bounds the broker calls behind one scrape of consumer lag.
const lagTimeout = 5 * time.Second

// Run starts the service and blocks until SIGINT or SIGTERM.
func (c *runCmd) Run(ctx context.Context) error {
	cfg, err := config.Load(c.Config)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log.Level, cfg.Log.Format)

	// Telemetry first: the pipeline's instruments bind to the global meter
	// provider when the pipeline is built.
	tel, err := telemetry.Setup(ctx, telemetry.Options{ServiceName: "flarewatch",
		OTLPEndpoint: cfg.Metrics.OTLPEndpoint, KafkaClientID: cfg.Kafka.ClientID,
		KafkaGroup: cfg.Kafka.Group, Log: log})
	if err != nil {
		return err
	}
	defer shutdownTelemetry(ctx, tel, cfg)
	s, err := newService(ctx, cfg, log, serviceOptions{redisHook: tel.RedisHook(), kafkaOpts: tel.KafkaHooks()})
	if err != nil {
		return err
	}
	if err := tel.ObserveLag(telemetry.GroupLag(kadm.NewClient(s.kafka), cfg.Kafka.Group, lagTimeout)); err != nil {
		return err
	}
	if cfg.Metrics.Listen != "" {
		go func() {
			if err := tel.ListenAndServe(ctx, cfg.Metrics.Listen, s.ready); err != nil {
				log.Error("metrics endpoint", "addr", cfg.Metrics.Listen, "err", err)
			}
		}()
	}
	if url := cfg.Rule.Ranges.RefreshURL; url != "" {
		r := ranges.NewRefresher(ranges.Options{URL: url, Interval: cfg.Rule.Ranges.RefreshInterval.Std(),
			Apply: s.pipe.Rule.SetRanges, Log: log})
		go func() { _ = r.Run(ctx) }()
	}
	return s.run(ctx)
}

func shutdownTelemetry(ctx context.Context, tel *telemetry.Telemetry, cfg config.Config) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout.Std())
	defer cancel()
	_ = tel.Shutdown(ctx)
}

// ready reports whether Kafka and Redis both answer.
func (s *service) ready(ctx context.Context) error {
	return errors.Join(s.kafka.Ping(ctx), s.rdb.Ping(ctx).Err())
}
