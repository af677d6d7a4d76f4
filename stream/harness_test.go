package stream_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/segmentio/encoding/json"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/deploy/testenv"
	"github.com/flarewatch/flarewatch/sinks"
	"github.com/flarewatch/flarewatch/state"
	"github.com/flarewatch/flarewatch/stream"
	"github.com/flarewatch/flarewatch/stream/enrich"
	"github.com/flarewatch/flarewatch/stream/rule"
)

// harness runs the pipeline as a process would, on the test's Kafka and
// Redis (real ones when the environment names them), over an input topic,
// and reads back what it published.
type harness struct {
	t          *testing.T
	brokers    []string
	input      string
	alertTopic string
	deadTopic  string
	group      string
	rdb        redis.UniversalClient
	ns         string
	profile    rule.Profile
	provider   enrich.Provider
	ranges     *config.RangeSet
	separate   bool
	lookback   time.Duration
	bucket     time.Duration
	lateness   time.Duration
	dedup      time.Duration
	drain      time.Duration // how long a stopped process may finish its work

	// onPipeline, when set, sees each pipeline before it runs.
	onPipeline func(*stream.Pipeline)
}

func newHarness(t *testing.T, partitions int32) *harness {
	t.Helper()
	brokers := testenv.Kafka(t)
	rdb, prefix := testenv.RedisNS(t)
	return &harness{
		t: t, brokers: brokers, rdb: rdb, ns: strings.TrimSuffix(prefix, ":"),
		input:      testenv.Topic(t, brokers, partitions),
		alertTopic: testenv.Topic(t, brokers, 1),
		deadTopic:  testenv.Topic(t, brokers, 1),
		group:      "fw-test-" + prefix[:len(prefix)-1],
		profile:    rule.Default,
		provider:   enrich.None{},
		ranges:     config.BundledCloudflare(),
		lookback:   30 * 24 * time.Hour,
		bucket:     time.Hour,
		lateness:   5 * time.Minute,
		dedup:      time.Hour,
		drain:      30 * time.Second,
	}
}

func (h *harness) client(opts ...kgo.Opt) *kgo.Client {
	h.t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(h.brokers...)}, opts...)...)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(cl.Close)
	return cl
}

// produce writes messages to the input topic, in order, to partition p.
func (h *harness) produce(p int32, msgs ...[]byte) {
	h.t.Helper()
	cl := h.client(kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchMaxBytes(8<<20))
	recs := make([]*kgo.Record, len(msgs))
	for i, m := range msgs {
		recs[i] = &kgo.Record{Topic: h.input, Partition: p, Value: m}
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		h.t.Fatalf("produce: %v", err)
	}
}

// process is one flarewatch process: its own clients and pipeline.
type process struct {
	pipe   *stream.Pipeline
	client *kgo.Client
	cancel context.CancelFunc
	done   chan error
}

func (h *harness) pipeline(cl *kgo.Client, r *rule.Rule) *stream.Pipeline {
	st := state.New(h.rdb, h.ns, state.Options{Lookback: h.lookback, Bucket: h.bucket,
		DedupWindow: h.dedup, MaxSamples: 10})
	if err := st.LoadScripts(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	opt := stream.DefaultOptions()
	opt.Lookback = h.lookback
	opt.SeparateTenants = h.separate
	opt.RetryMax = 500 * time.Millisecond
	clock := stream.NewClock(h.lateness, 15*time.Minute, true)
	p := stream.New(r, st, clock, sinks.NewKafkaSink(cl, h.alertTopic),
		sinks.NewKafkaDeadLetters(cl, h.deadTopic), h.provider, opt)
	if h.onPipeline != nil {
		h.onPipeline(p)
	}
	return p
}

// start starts a process consuming the input in the group.
func (h *harness) start(extra ...kgo.Opt) *process {
	opts, err := stream.ClientOptions(config.Kafka{
		Brokers: h.brokers, Topics: []string{h.input}, Group: h.group, ClientID: "fw-test",
		FetchMaxBytes: 8 << 20, BrokerMaxReadBytes: 16 << 20, MaxMessageBytes: 4 << 20,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	opts = append(opts, kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	cl := h.client(append(opts, extra...)...)
	p := &process{pipe: h.pipeline(cl, rule.New(h.profile, h.ranges)), client: cl, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	c := stream.NewConsumer(cl, p.pipe)
	c.Drain = h.drain
	go func() { p.done <- c.Run(ctx) }()
	return p
}

// stop stops a process gracefully and waits for it.
func (p *process) stop() {
	p.cancel()
	<-p.done
	p.client.Close()
}

// waitDrained waits until the group has committed the whole input.
func (h *harness) waitDrained() {
	h.t.Helper()
	adm := kadm.NewClient(h.client())
	if err := stream.WaitDrained(context.Background(), adm, h.group, time.Minute, func() {}, h.input); err != nil {
		h.t.Fatal(err)
	}
}

// run consumes the whole input with one process, then raises every alert
// still waiting for its grace period.
func (h *harness) run() {
	h.t.Helper()
	p := h.start()
	h.waitDrained()
	p.stop()
	h.flush()
}

// flush raises what is due at the end of the input.
func (h *harness) flush() {
	h.t.Helper()
	cl := h.client()
	p := h.pipeline(cl, rule.New(h.profile, h.ranges))
	if _, err := p.FlushDue(context.Background(), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		h.t.Fatal(err)
	}
}

// alerts reads every alert published so far.
func (h *harness) alerts() []sinks.Alert {
	h.t.Helper()
	var out []sinks.Alert
	for _, r := range h.readAll(h.alertTopic) {
		var a sinks.Alert
		if err := json.Unmarshal(r.Value, &a); err != nil {
			h.t.Fatalf("alert %s: %v", r.Value, err)
		}
		if string(r.Key) != a.SHA1 {
			h.t.Errorf("alert key %q, sha1 %q", r.Key, a.SHA1)
		}
		out = append(out, a)
	}
	return out
}

// readAll reads a topic from the start to its current end.
func (h *harness) readAll(topic string) []*kgo.Record {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm := kadm.NewClient(h.client())
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		h.t.Fatal(err)
	}
	var want int64
	ends.Each(func(o kadm.ListedOffset) { want += o.Offset })
	cl := h.client(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var out []*kgo.Record
	for int64(len(out)) < want {
		f := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			h.t.Fatalf("read %s: %d of %d records", topic, len(out), want)
		}
		out = append(out, f.Records()...)
	}
	return out
}

// creates returns the create alerts by SHA1, failing on a second create
// for one hash.
func creates(t *testing.T, alerts []sinks.Alert) map[string]sinks.Alert {
	t.Helper()
	out := map[string]sinks.Alert{}
	for _, a := range alerts {
		if a.Activity != sinks.ActivityCreate {
			continue
		}
		if prev, ok := out[a.SHA1]; ok && prev.ID != a.ID {
			t.Errorf("second create for %s with another id", a.SHA1)
		}
		out[a.SHA1] = a
	}
	return out
}
