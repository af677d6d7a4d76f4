package telemetry

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kadm"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// The names of the instruments this package adds. In Prometheus they are
// flarewatch_redis_latency_seconds, flarewatch_kafka_produce_latency_seconds
// (histograms: _bucket, _sum, _count) and flarewatch_consumer_lag (gauge).
const (
	RedisLatencyName   = "flarewatch.redis.latency"
	ProduceLatencyName = "flarewatch.kafka.produce.latency"
	ConsumerLagName    = "flarewatch.consumer.lag"
)

// latencyBuckets are the histogram bounds, in seconds: from half a
// millisecond (a Redis call on the same network) to 10s (a produce retried
// through a leader change).
var latencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 2.5, 5, 10}

func (t *Telemetry) newInstruments() error {
	t.meter = t.meters.Meter("github.com/flarewatch/flarewatch/stream/telemetry")
	var errs [3]error
	t.redisLatency, errs[0] = t.meter.Float64Histogram(RedisLatencyName, metric.WithUnit("s"),
		metric.WithDescription("Redis command round trips, by command and result"),
		metric.WithExplicitBucketBoundaries(latencyBuckets...))
	t.produceLatency, errs[1] = t.meter.Float64Histogram(ProduceLatencyName, metric.WithUnit("s"),
		metric.WithDescription("time from produce to broker acknowledgement, by topic and result"),
		metric.WithExplicitBucketBoundaries(latencyBuckets...))
	t.lag, errs[2] = t.meter.Int64ObservableGauge(ConsumerLagName, metric.WithUnit("{record}"),
		metric.WithDescription("records between the group's committed offset and the end "+
			"of the partition, by topic and partition"))
	return errors.Join(errs[:]...)
}

// result is the "result" attribute of a latency: ok or error.
func result(err error) attribute.KeyValue {
	if err != nil {
		return attribute.String("result", "error")
	}
	return attribute.String("result", "ok")
}

// RecordRedisLatency records one Redis round trip of command (lower case,
// "evalsha", or "pipeline" for a pipeline). A redis.Nil answer is a result,
// not an error. RedisHook calls it for every command of a client.
func (t *Telemetry) RecordRedisLatency(ctx context.Context, command string, d time.Duration,
	err error) {
	if errors.Is(err, redis.Nil) {
		err = nil
	}
	t.redisLatency.Record(ctx, d.Seconds(), metric.WithAttributes(
		attribute.String("command", command), result(err)))
}

// RecordProduceLatency records the time from producing one record to topic
// until the brokers acknowledged it (err nil) or it failed. The hooks of
// KafkaHooks call it for every record the client produces.
func (t *Telemetry) RecordProduceLatency(ctx context.Context, topic string, d time.Duration,
	err error) {
	t.produceLatency.Record(ctx, d.Seconds(), metric.WithAttributes(
		attribute.String("topic", topic), result(err)))
}

// RedisHook returns a go-redis hook that records the latency of every
// command and pipeline: rdb.AddHook(t.RedisHook()).
func (t *Telemetry) RedisHook() redis.Hook { return redisHook{t} }

type redisHook struct{ t *Telemetry }

func (h redisHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h redisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmd)
		h.t.RecordRedisLatency(ctx, cmd.Name(), time.Since(start), err)
		return err
	}
}

func (h redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmds)
		h.t.RecordRedisLatency(ctx, "pipeline", time.Since(start), err)
		return err
	}
}

// LagFunc returns the consumer lag in records by topic and partition. It is
// called at every collection (each scrape, each OTLP push); an error skips
// that collection's observation.
type LagFunc func(ctx context.Context) (map[string]map[int32]int64, error)

// ObserveLag makes fn the source of the flarewatch.consumer.lag gauge,
// replacing any earlier source. GroupLag builds one from an admin client.
func (t *Telemetry) ObserveLag(fn LagFunc) error {
	reg, err := t.meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		lags, err := fn(ctx)
		if err != nil {
			t.log.Debug("consumer lag", "err", err)
			return nil // no observation rather than a failed collection
		}
		for topic, parts := range lags {
			for p, n := range parts {
				o.ObserveInt64(t.lag, n, metric.WithAttributes(
					attribute.String("topic", topic),
					attribute.String("partition", strconv.Itoa(int(p)))))
			}
		}
		return nil
	}, t.lag)
	if err != nil {
		return fmt.Errorf("register consumer lag: %w", err)
	}

	t.mu.Lock()
	old := t.lagStop
	t.lagStop = reg
	t.mu.Unlock()
	if old != nil {
		return old.Unregister()
	}
	return nil
}

// GroupLag returns a LagFunc that asks the brokers for group's lag (its
// committed offsets against the partitions' ends), within timeout. It sees
// the whole group, so every instance reports every partition: aggregate with
// max by (topic, partition). Partitions whose lag is unknown are left out.
func GroupLag(adm *kadm.Client, group string, timeout time.Duration) LagFunc {
	return func(ctx context.Context) (map[string]map[int32]int64, error) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		lags, err := adm.Lag(ctx, group)
		if err != nil {
			return nil, err
		}
		l, ok := lags[group]
		if !ok {
			return nil, fmt.Errorf("group %q missing from the lag answer", group)
		}
		if err := l.Error(); err != nil {
			return nil, err
		}
		out := make(map[string]map[int32]int64, len(l.Lag))
		for topic, parts := range l.Lag {
			for p, m := range parts {
				if m.Err != nil || m.Lag < 0 {
					continue
				}
				if out[topic] == nil {
					out[topic] = make(map[int32]int64, len(parts))
				}
				out[topic][p] = m.Lag
			}
		}
		return out, nil
	}
}
