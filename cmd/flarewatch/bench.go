package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/sinks"
	"github.com/flarewatch/flarewatch/stream"
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
	latencies          []time.Duration
	loadBefore         string // 1-minute load average when producing began
	expected, others   int    // planted positives produced; create alerts for other hashes
}

// run creates the topics, starts the service, produces, waits until the
// input is consumed and the planted positives alerted, and cleans up.
func (c *benchCmd) run(ctx context.Context, cfg config.Config, plan *benchPlan) (*benchResult, error) {
	id := benchID()
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
	counter := &benchCommands{}
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
func (c *benchCmd) measure(ctx context.Context, s *service, cfg config.Config, plan *benchPlan,
	prod *kgo.Client, adm *kadm.Client, counter *benchCommands) (*benchResult, error) {
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	alerts, err := benchWatchAlerts(runCtx, cfg.Kafka)
	if err != nil {
		return nil, err
	}
	wg.Add(2)
	go func() { defer wg.Done(); _ = s.pipe.RunScheduler(runCtx, time.Second) }()
	go func() { defer wg.Done(); _ = s.consumer.Run(runCtx) }()

	// Producing starts once the group owns the input: a join that takes
	// seconds would otherwise count against the pipeline.
	if err := benchAssigned(ctx, adm, cfg.Kafka.Group, cfg.Kafka.Topics[0], c.Partitions); err != nil {
		return nil, err
	}
	res := &benchResult{loadBefore: benchLoad()}
	cmds0 := counter.n.Load()
	start := time.Now()
	stamps, err := c.produce(ctx, prod, plan, start, res)
	if err != nil {
		return nil, err
	}
	res.expected = len(stamps)

	// The input is consumed once the pipeline has decoded every record
	// produced and committed past the last message, which it does after
	// the state writes and alerts of the records before it.
	if err := benchDrained(ctx, s, adm, cfg, int64(res.produced), c.Timeout); err != nil {
		return nil, err
	}
	res.processTook = time.Since(start)
	res.processed = s.pipe.Stats.Records.Load()
	res.commands = counter.n.Load() - cmds0

	// Then the last planted positives wait for a scheduler pass.
	alerts.wait(ctx, stamps, 30*time.Second)
	res.latencies, res.others = alerts.latencies(stamps)
	return res, nil
}

// benchAssigned waits until every partition of topic is assigned in group.
func benchAssigned(ctx context.Context, adm *kadm.Client, group, topic string, partitions int32) error {
	deadline := time.Now().Add(time.Minute)
	for {
		groups, err := adm.DescribeGroups(ctx, group)
		if err == nil {
			if g, ok := groups[group]; ok && g.State == "Stable" &&
				len(g.AssignedPartitions()[topic]) == int(partitions) {
				return nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("group %s not assigned the %d partitions of %s within a minute",
				group, partitions, topic)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// benchDrained waits until the pipeline has decoded want records and the
// group has committed to the end of the input.
func benchDrained(ctx context.Context, s *service, adm *kadm.Client, cfg config.Config, want int64,
	timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if s.pipe.Stats.Records.Load() >= want {
			done, err := stream.Drained(ctx, adm, cfg.Kafka.Group, cfg.Kafka.Topics...)
			if err == nil && done {
				return nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("input not consumed within %s of the end of producing", timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// produce sends the messages at the target rate until they run out or the
// duration is over, and returns the produce time of each planted
// positive's first message.
func (c *benchCmd) produce(ctx context.Context, prod *kgo.Client, plan *benchPlan, start time.Time,
	res *benchResult) (map[string]time.Time, error) {
	stamps := map[string]time.Time{}
	var failed atomic.Pointer[error]
	var sent int
	for i, m := range plan.msgs {
		now := time.Since(start)
		if now >= c.Duration || ctx.Err() != nil {
			break
		}
		if c.Rate > 0 {
			due := time.Duration(float64(sent) / float64(c.Rate) * float64(time.Second))
			if due > now {
				time.Sleep(due - now)
			}
		}
		for _, h := range plan.first[i] {
			stamps[h] = time.Now()
		}
		prod.Produce(ctx, &kgo.Record{Value: m}, func(_ *kgo.Record, err error) {
			if err != nil {
				failed.CompareAndSwap(nil, &err)
			}
		})
		sent += plan.records[i]
		res.messages++
		res.bytes += int64(len(m))
	}
	if err := prod.Flush(ctx); err != nil {
		return nil, fmt.Errorf("flush the input: %w", err)
	}
	if err := failed.Load(); err != nil {
		return nil, fmt.Errorf("produce the input: %w", *err)
	}
	res.produced, res.produceTook = sent, time.Since(start)
	return stamps, nil
}

// benchAlerts reads the alert topic and keeps, per hash, when its first
// create alert was produced.
type benchAlerts struct {
	mu      sync.Mutex
	created map[string]time.Time
}

func benchWatchAlerts(ctx context.Context, k config.Kafka) (*benchAlerts, error) {
	cl, err := benchClient(k, kgo.ConsumeTopics(k.AlertTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return nil, err
	}
	a := &benchAlerts{created: map[string]time.Time{}}
	go func() {
		defer cl.Close()
		for ctx.Err() == nil {
			cl.PollFetches(ctx).EachRecord(a.add)
		}
	}()
	return a, nil
}

func (a *benchAlerts) add(r *kgo.Record) {
	for _, h := range r.Headers {
		if h.Key != sinks.HeaderActivity || string(h.Value) != string(sinks.ActivityCreate) {
			continue
		}
		a.mu.Lock()
		if _, ok := a.created[string(r.Key)]; !ok {
			a.created[string(r.Key)] = r.Timestamp
		}
		a.mu.Unlock()
	}
}

// wait returns when every hash of stamps has a create alert, or after
// patience.
func (a *benchAlerts) wait(ctx context.Context, stamps map[string]time.Time, patience time.Duration) {
	deadline := time.Now().Add(patience)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		a.mu.Lock()
		missing := 0
		for h := range stamps {
			if _, ok := a.created[h]; !ok {
				missing++
			}
		}
		a.mu.Unlock()
		if missing == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// latencies returns, sorted, the time from each planted positive's first
// message to its create alert, and how many create alerts name other hashes.
func (a *benchAlerts) latencies(stamps map[string]time.Time) ([]time.Duration, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []time.Duration
	for h, at := range stamps {
		if t, ok := a.created[h]; ok {
			out = append(out, t.Sub(at))
		}
	}
	slices.Sort(out)
	return out, len(a.created) - len(out)
}

// report prints the machine, the parameters and the measures as Markdown.
func (c *benchCmd) report(w io.Writer, backend string, plan *benchPlan, r *benchResult) {
	fmt.Fprintf(w, "machine: %d CPUs, %s/%s, %s, load average %s before, %s after; %s\n",
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), r.loadBefore,
		benchLoad(), backend)
	fmt.Fprintf(w, "parameters: --records %d --rate %d --duration %s --positives %d --partitions %d "+
		"--seed %d; rule.cert_grace 0, a scheduler pass every 1s, telemetry as run sets it up "+
		"without OTLP\n\n", c.Records, c.Rate, c.Duration, c.Positives, c.Partitions, c.Seed)
	mb := float64(r.bytes) / 1e6
	rows := [][2]string{
		{"produced", fmt.Sprintf("%d records in %d messages, %.1f MB, in %s (%.0f records/s)",
			r.produced, r.messages, mb, r.produceTook.Round(time.Millisecond),
			float64(r.produced)/r.produceTook.Seconds())},
		{"sustained", fmt.Sprintf("**%.0f records/s**, %.1f MB/s (%d records consumed and committed "+
			"%s after the first produce)", float64(r.processed)/r.processTook.Seconds(),
			mb/r.processTook.Seconds(), r.processed, r.processTook.Round(time.Millisecond))},
		{"Redis commands per record", fmt.Sprintf("**%.4f** (%d commands)",
			float64(r.commands)/float64(max(r.processed, 1)), r.commands)},
		{"produce to alert, p50 / p99 / max", fmt.Sprintf("**%s / %s / %s**",
			benchQuantile(r.latencies, 0.50), benchQuantile(r.latencies, 0.99),
			benchQuantile(r.latencies, 1))},
		{"planted positives alerted", fmt.Sprintf("%d of the %d produced (%d planted); "+
			"%d create alerts for other hashes", len(r.latencies), r.expected, plan.planted, r.others)},
	}
	fmt.Fprintf(w, "| measure | value |\n|---|---|\n")
	for _, row := range rows {
		fmt.Fprintf(w, "| %s | %s |\n", row[0], row[1])
	}
}

// benchQuantile returns the q-quantile of sorted, by nearest rank.
func benchQuantile(sorted []time.Duration, q float64) string {
	if len(sorted) == 0 {
		return "n/a"
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)].Round(time.Millisecond).String()
}

// benchLoad returns the 1-minute load average where the system tells it:
// on a shared machine, what else ran weighs on every number.
func benchLoad() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "unknown"
}

// benchCommands counts the Redis commands the service sends, one per
// command of a pipeline.
type benchCommands struct{ n atomic.Int64 }

func (h *benchCommands) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *benchCommands) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

func (h *benchCommands) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// benchClient returns a client of the configured brokers, with their TLS
// and SASL settings, that is no member of the service's group.
func benchClient(k config.Kafka, opts ...kgo.Opt) (*kgo.Client, error) {
	opts = append(opts, kgo.SeedBrokers(k.Brokers...), kgo.ClientID(k.ClientID+"-bench"),
		kgo.ProducerBatchMaxBytes(max(k.MaxMessageBytes, 1<<20)),
		kgo.BrokerMaxReadBytes(k.BrokerMaxReadBytes))
	if k.TLS.Enabled {
		tc, err := stream.TLSConfig(k.TLS)
		if err != nil {
			return nil, fmt.Errorf("kafka.tls: %w", err)
		}
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	user, pass := k.SASL.Username, k.SASL.Password.Reveal()
	switch k.SASL.Mechanism {
	case config.SASLPlain:
		opts = append(opts, kgo.SASL(plain.Auth{User: user, Pass: pass}.AsMechanism()))
	case config.SASLScramSHA256:
		opts = append(opts, kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()))
	case config.SASLScramSHA512:
		opts = append(opts, kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	return cl, nil
}

func benchDropTopics(ctx context.Context, adm *kadm.Client, topics ...string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_, _ = adm.DeleteTopics(ctx, topics...)
}

func benchID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
