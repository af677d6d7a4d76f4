package telemetry

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/plugin/kotel"
	"go.opentelemetry.io/otel/propagation"
)

// KafkaHooks returns client options that instrument a franz-go client:
// kotel's broker metrics (connects, bytes and records written and read,
// under messaging_kafka_* in Prometheus), the produce latency histogram and,
// when OTLP is on, a span per produced and fetched record (sampled by
// Options.TraceSampleRatio). Add them to the client's options:
//
//	opts = append(opts, tel.KafkaHooks()...)
//
// No trace context is written into produced records' headers: the alert
// records keep exactly their documented headers.
func (t *Telemetry) KafkaHooks() []kgo.Opt {
	kopts := []kotel.Opt{kotel.WithMeter(kotel.NewMeter(
		kotel.MeterProvider(t.meters), kotel.WithMergedConnectsMeter()))}
	if t.tracers != nil {
		kopts = append(kopts, kotel.WithTracer(kotel.NewTracer(
			kotel.TracerProvider(t.tracers),
			kotel.TracerPropagator(propagation.NewCompositeTextMapPropagator()),
			kotel.ClientID(t.opts.KafkaClientID),
			kotel.ConsumerGroup(t.opts.KafkaGroup),
		)))
	}
	hooks := kotel.NewKotel(kopts...).Hooks()
	hooks = append(hooks, produceTimer{t})
	return []kgo.Opt{kgo.WithHooks(hooks...)}
}

// produceTimer feeds the produce latency histogram: it stamps a record's
// context when the record is buffered and records the time when its
// promise is about to be called.
type produceTimer struct{ t *Telemetry }

type produceStartKey struct{}

var (
	_ kgo.HookProduceRecordBuffered   = produceTimer{}
	_ kgo.HookProduceRecordUnbuffered = produceTimer{}
)

func (p produceTimer) OnProduceRecordBuffered(r *kgo.Record) {
	r.Context = context.WithValue(r.Context, produceStartKey{}, time.Now())
}

func (p produceTimer) OnProduceRecordUnbuffered(r *kgo.Record, err error) {
	start, ok := r.Context.Value(produceStartKey{}).(time.Time)
	if !ok {
		return
	}
	// The record's context may be cancelled already; the measurement is
	// still wanted.
	p.t.RecordProduceLatency(context.WithoutCancel(r.Context), r.Topic, time.Since(start), err)
}
