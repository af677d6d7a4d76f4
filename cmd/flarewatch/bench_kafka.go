package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/sinks"
	"github.com/flarewatch/flarewatch/stream"
)

// The bench's side of Kafka: producing the traffic, watching the group and
// the alert topic.

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
