package sinks

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Header keys of an alert record.
const (
	HeaderSchemaVersion = "schema_version"
	HeaderActivity      = "activity"
	HeaderAlertID       = "alert_id"
	HeaderTenantID      = "tenant_id"
)

// KafkaSink publishes alerts to a Kafka topic, one record per alert: the
// value is the alert's JSON document in the sink's form, the key its SHA1
// (so that one hash's alerts stay in order on one partition), and the
// headers carry the schema version, activity, alert id and tenant for
// routing without decoding, whatever the form.
//
// KafkaSink is safe for concurrent use. It borrows its client, usually the
// one the consumer uses, and never closes it.
type KafkaSink struct {
	client *kgo.Client
	topic  string
	form   Form
}

// NewKafkaSink returns a sink that produces the flarewatch form to topic
// through client.
func NewKafkaSink(client *kgo.Client, topic string) *KafkaSink {
	return &KafkaSink{client: client, topic: topic, form: FormFlarewatch}
}

// NewKafkaSinkForm returns a sink that produces the documents of form to
// topic through client; "" is FormFlarewatch. An unknown form is an error.
func NewKafkaSinkForm(client *kgo.Client, topic string, form Form) (*KafkaSink, error) {
	f, err := ParseForm(string(form))
	if err != nil {
		return nil, fmt.Errorf("kafka sink: %w", err)
	}
	return &KafkaSink{client: client, topic: topic, form: f}, nil
}

// Topic returns the topic the sink produces to.
func (s *KafkaSink) Topic() string { return s.topic }

// Form returns the form of the documents the sink produces.
func (s *KafkaSink) Form() Form { return s.form }

// Publish produces the alerts and waits until the brokers have acknowledged
// every one of them (with the client's acks setting, all in-sync replicas by
// default). It implements Sink.
func (s *KafkaSink) Publish(ctx context.Context, alerts []Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	recs := make([]*kgo.Record, len(alerts))
	for i := range alerts {
		rec, err := s.record(&alerts[i])
		if err != nil {
			return err
		}
		recs[i] = rec
	}
	return produceAll(ctx, s.client, recs, "alerts to "+s.topic)
}

// record builds the Kafka record of one alert.
func (s *KafkaSink) record(a *Alert) (*kgo.Record, error) {
	value, err := appendForm(nil, a, s.form)
	if err != nil {
		return nil, err
	}
	return &kgo.Record{
		Topic: s.topic,
		Key:   []byte(a.SHA1),
		Value: value,
		Headers: []kgo.RecordHeader{
			{Key: HeaderSchemaVersion, Value: []byte(a.SchemaVersion)},
			{Key: HeaderActivity, Value: []byte(a.Activity)},
			{Key: HeaderAlertID, Value: []byte(a.ID)},
			{Key: HeaderTenantID, Value: []byte(a.TenantID)},
		},
	}, nil
}

// Close flushes records the shared client still buffers. The client itself
// stays open: its owner closes it. It implements Sink.
func (s *KafkaSink) Close(ctx context.Context) error {
	if err := s.client.Flush(ctx); err != nil {
		return fmt.Errorf("flush producer: %w", err)
	}
	return nil
}

// produceAll produces recs synchronously and checks every result. The error
// says how many records failed and wraps the first failure; what names the
// batch in the message.
func produceAll(ctx context.Context, client *kgo.Client, recs []*kgo.Record, what string) error {
	results := client.ProduceSync(ctx, recs...)
	var (
		failed int
		first  error
	)
	for _, r := range results {
		if r.Err != nil {
			if first == nil {
				first = r.Err
			}
			failed++
		}
	}
	if first != nil {
		return fmt.Errorf("produce %s: %d of %d records failed: %w", what, failed, len(recs), first)
	}
	return nil
}
