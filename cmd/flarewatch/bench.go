package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/sinks"
	"github.com/flarewatch/flarewatch/stream/enrich"
	"github.com/flarewatch/flarewatch/stream/gen"
	"github.com/flarewatch/flarewatch/stream/mde"
	"github.com/flarewatch/flarewatch/stream/rule"
	"github.com/flarewatch/flarewatch/stream/telemetry"
)

type benchCmd struct {
	Config     string        `help:"Configuration file (YAML); the environment overrides it." type:"existingfile"`
	Embedded   bool          `help:"Use an embedded Kafka (kfake) and Redis (miniredis) instead of the configured ones."`
	Rate       int           `help:"Target produce rate, records/s; 0 is as fast as the broker takes them." default:"10000"`
	Duration   time.Duration `help:"Stop producing after this long, even with records left." default:"1m"`
	Records    int           `help:"Records to generate, about 1.7 KB each." default:"100000"`
	Positives  int           `help:"Planted positives: the hashes whose produce-to-alert latency is measured." default:"50"`
	Partitions int32         `help:"Partitions of the fresh input topic." default:"6"`
	Seed       int64         `help:"Seed of the generated traffic." default:"1"`
	Timeout    time.Duration `help:"Give up when the input is not consumed this long after producing ends." default:"5m"`
	Preload    bool          `help:"Produce the whole input before the service starts, and measure how fast it consumes a backlog; --rate is ignored and no latency is measured."`
	Keep       bool          `help:"Keep the bench's topics, group and Redis keys."`
	CPUProfile string        `help:"Write a CPU profile of the run (pipeline, embedded backends) to this file."`
	Verbose    bool          `help:"Log at debug level."`
}

// Run measures the whole service against the configured Kafka and Redis,
// or embedded ones: it creates fresh topics and a fresh Redis namespace,
// produces generated traffic at the target rate while the pipeline runs,
// and prints the sustained rate, the Redis commands per record and the
// latency from producing a planted positive to its alert.
func (c *benchCmd) Run(ctx context.Context) error {
	if c.Records <= 0 || c.Rate < 0 || c.Duration <= 0 || c.Partitions <= 0 {
		return errors.New("--records, --duration and --partitions must be positive, --rate not negative")
	}
	if c.Preload {
		c.Rate = 0
	}
	cfg, backend, stop, err := c.backends(ctx)
	if err != nil {
		return err
	}
	defer stop()
	plan, err := c.plan(cfg)
	if err != nil {
		return err
	}
	if c.CPUProfile != "" {
		f, err := os.Create(c.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	res, err := c.run(ctx, cfg, plan)
	if err != nil {
		return err
	}
	c.report(os.Stdout, backend, plan, res)
	return nil
}

// backends loads the configuration; with --embedded it first starts kfake
// and miniredis and points the configuration at them, over the file and
// the environment.
func (c *benchCmd) backends(ctx context.Context) (config.Config, string, func(), error) {
	if !c.Embedded {
		cfg, err := config.Load(c.Config)
		if err != nil {
			return cfg, "", nil, err
		}
		return cfg, fmt.Sprintf("Kafka %v, Redis %s %v", cfg.Kafka.Brokers, cfg.Redis.Mode,
			cfg.Redis.Addrs), func() {}, nil
	}
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		return config.Config{}, "", nil, fmt.Errorf("embedded kafka: %w", err)
	}
	mr, err := miniredis.Run()
	if err != nil {
		cluster.Close()
		return config.Config{}, "", nil, fmt.Errorf("embedded redis: %w", err)
	}
	stop := func() { mr.Close(); cluster.Close() }
	over := map[string]string{
		config.EnvName("kafka.brokers"): cluster.ListenAddrs()[0],
		config.EnvName("redis.addrs"):   mr.Addr(),
		config.EnvName("redis.mode"):    config.RedisStandalone,
	}
	cfg, err := config.LoadFrom(c.Config, func(name string) (string, bool) {
		if v, ok := over[name]; ok {
			return v, true
		}
		return os.LookupEnv(name)
	})
	if err != nil {
		stop()
		return cfg, "", nil, err
	}
	return cfg, "embedded Kafka (kfake) and Redis (miniredis), in this process", stop, nil
}

// benchPlan is the traffic of a run and what is known about it.
type benchPlan struct {
	msgs     [][]byte
	records  []int            // records in each message
	first    map[int][]string // message index -> planted hashes whose first candidate it holds
	planted  int
	profiles enrich.Provider
}

// plan generates the traffic and finds, for each planted positive, the
// first message holding one of its candidate events: the message whose
// produce time its alert's latency is measured from.
func (c *benchCmd) plan(cfg config.Config) (*benchPlan, error) {
	o := gen.DefaultOptions()
	o.Seed, o.Records, o.Positives = c.Seed, c.Records, c.Positives
	if c.Positives <= 0 {
		o.Positives = -1 // the generator reads 0 as its default
	}
	d := gen.Generate(o)
	ranges, err := cfg.Rule.LoadRanges()
	if err != nil {
		return nil, err
	}
	r := rule.New(rule.Profile(cfg.Rule.Profile), ranges)
	planted := d.Planted
	if r.Profile() == rule.KQLParity {
		planted = d.KQLParity()
	}
	want := map[string]bool{}
	for _, h := range planted {
		want[h] = true
	}
	p := &benchPlan{msgs: d.Messages, records: make([]int, len(d.Messages)),
		first: map[int][]string{}, planted: len(planted)}
	var dec mde.Decoder
	for i, m := range d.Messages {
		err := dec.Decode(m, func(rec *mde.Record) {
			p.records[i]++
			if rec.Category != mde.NetworkEvents {
				return
			}
			if _, v := r.Check(rec); v == rule.Candidate && want[strings.ToLower(rec.ProcessSHA1)] {
				h := strings.ToLower(rec.ProcessSHA1)
				delete(want, h)
				p.first[i] = append(p.first[i], h)
			}
		}, func(*mde.RecordError) {})
		if err != nil {
			return nil, fmt.Errorf("generated message %d: %w", i, err)
		}
	}
	profiles := make(map[string]enrich.Profile, len(d.Profiles))
	for h, pr := range d.Profiles {
		profiles[h] = enrich.Profile{SHA1: h, SHA256: pr.SHA256, SignatureState: pr.SignatureState,
			GlobalPrevalence: pr.GlobalPrevalence, Source: "bench"}
	}
	p.profiles = enrich.NewStatic(profiles)
	return p, nil
}

// benchResult is what one run measured.
type benchResult struct {
	produced, messages int           // records and messages produced
	bytes              int64         // in the messages produced
	produceTook        time.Duration // first produce to last acknowledgement
	processed          int64         // records the pipeline decoded
	processTook        time.Duration // first produce to the commit past the last message
	commands           int64         // Redis commands meanwhile
	byCommand          map[string]int64
	preloaded          bool // produced before the service started: no latency
	latencies          []time.Duration
	loadBefore         string // 1-minute load average when producing began
	expected, others   int    // planted positives produced; create alerts for other hashes
}

// run creates the topics, starts the service, produces, waits until the
// input is consumed and the planted positives alerted, and cleans up.
func (c *benchCmd) run(ctx context.Context, cfg config.Config, plan *benchPlan) (*benchResult, error) {
	id := randomID()
	input := "flarewatch-bench-" + id
	cfg.Kafka.Topics = []string{input}
	cfg.Kafka.Group = input
	cfg.Kafka.AlertTopic = input + "-alerts"
	cfg.Kafka.DeadLetterTopic = input + "-deadletter"
	cfg.Kafka.CreateTopics = true
	cfg.Redis.Namespace += "-bench-" + id
	cfg.Rule.CertGrace = 0
	cfg.Sinks = config.Sinks{Kafka: true, Format: cfg.Sinks.Format}

	prod, err := benchClient(cfg.Kafka, kgo.DefaultProduceTopic(input),
		kgo.ProducerLinger(time.Millisecond))
	if err != nil {
		return nil, err
	}
	defer prod.Close()
	adm := kadm.NewClient(prod)
	if err := sinks.EnsureTopics(ctx, adm, c.Partitions, input); err != nil {
		return nil, err
	}
	err = sinks.EnsureTopics(ctx, adm, 1, cfg.Kafka.AlertTopic, cfg.Kafka.DeadLetterTopic)
	if err != nil {
		return nil, err
	}
	if !c.Keep {
		defer benchDropTopics(ctx, adm, input, cfg.Kafka.AlertTopic, cfg.Kafka.DeadLetterTopic)
	}

	level := "warn"
	if c.Verbose {
		level = "debug"
	}
	log := newLogger(level, "text")

	// Telemetry as run sets it up, OTLP export aside: the pipeline's
	// counters aggregate in the SDK, Redis and the Kafka client are hooked.
	tel, err := telemetry.Setup(ctx, telemetry.Options{ServiceName: "flarewatch-bench",
		KafkaClientID: cfg.Kafka.ClientID, KafkaGroup: cfg.Kafka.Group, Log: log})
	if err != nil {
		return nil, err
	}
	defer shutdownTelemetry(ctx, tel, cfg)
	counter := newBenchCommands()
	s, err := newService(ctx, cfg, log, serviceOptions{provider: plan.profiles,
		redisHook: counter, kafkaOpts: tel.KafkaHooks()})
	if err != nil {
		return nil, err
	}
	s.rdb.AddHook(tel.RedisHook())
	res, err := c.measure(ctx, s, cfg, plan, prod, adm, counter)
	if !c.Keep {
		if _, derr := s.pipe.Store.DeleteNamespace(context.WithoutCancel(ctx)); derr != nil {
			err = errors.Join(err, fmt.Errorf("delete the bench's Redis keys: %w", derr))
		}
	}
	s.close(ctx)
	if !c.Keep {
		_, _ = adm.DeleteGroups(context.WithoutCancel(ctx), cfg.Kafka.Group)
	}
	return res, err
}

// measure runs the service while producing, and stops it once the input is
// consumed and the planted positives have alerted or the wait is over.
// With --preload it produces first, and measures the consumption of the
// backlog alone.
func (c *benchCmd) measure(ctx context.Context, s *service, cfg config.Config, plan *benchPlan,
	prod *kgo.Client, adm *kadm.Client, counter *benchCommands) (*benchResult, error) {
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	alerts, err := benchWatchAlerts(runCtx, cfg.Kafka)
	if err != nil {
		return nil, err
	}
	res := &benchResult{loadBefore: benchLoad(), preloaded: c.Preload}
	var stamps map[string]time.Time
	if c.Preload {
		if stamps, err = c.produce(ctx, prod, plan, time.Now(), res); err != nil {
			return nil, err
		}
	}
	wg.Add(2)
	go func() { defer wg.Done(); _ = s.pipe.RunScheduler(runCtx, time.Second) }()
	go func() { defer wg.Done(); _ = s.consumer.Run(runCtx) }()

	var start time.Time
	var cmds0 map[string]int64
	var records0 int64
	if c.Preload {
		// The clock starts at the first record decoded: a group join
		// takes seconds that are no part of consuming.
		for s.pipe.Stats.Records.Load() == 0 {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			time.Sleep(time.Millisecond)
		}
		start, cmds0, records0 = time.Now(), counter.snapshot(), s.pipe.Stats.Records.Load()
	} else {
		// Producing starts once the group owns the input: a join that
		// takes seconds would otherwise count against the pipeline.
		if err := benchAssigned(ctx, adm, cfg.Kafka.Group, cfg.Kafka.Topics[0], c.Partitions); err != nil {
			return nil, err
		}
		start, cmds0 = time.Now(), counter.snapshot()
		if stamps, err = c.produce(ctx, prod, plan, start, res); err != nil {
			return nil, err
		}
	}
	res.expected = len(stamps)

	// The input is consumed once the pipeline has decoded every record
	// produced and committed past the last message, which it does after
	// the state writes and alerts of the records before it.
	if err := benchDrained(ctx, s, adm, cfg, int64(res.produced), c.Timeout); err != nil {
		return nil, err
	}
	res.processTook = time.Since(start)
	res.processed = s.pipe.Stats.Records.Load() - records0
	res.byCommand, res.commands = benchCommandsSince(cmds0, counter.snapshot())

	// Then the last planted positives wait for a scheduler pass.
	alerts.wait(ctx, stamps, 30*time.Second)
	res.latencies, res.others = alerts.latencies(stamps)
	return res, nil
}
