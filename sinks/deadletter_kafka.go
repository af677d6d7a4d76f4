package sinks

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Header keys KafkaDeadLetters adds to the original headers.
const (
	HeaderSourceTopic     = "fw_source_topic"
	HeaderSourcePartition = "fw_source_partition"
	HeaderSourceOffset    = "fw_source_offset"
	HeaderReason          = "fw_reason"
	HeaderRecordIndex     = "fw_record_index"
	HeaderFailedAt        = "fw_failed_at"
)

// KafkaDeadLetters produces dead letters to a Kafka topic. Each record
// carries the original bytes untouched as its value, the original key, and
// the original headers followed by the fw_ headers (source topic, partition,
// offset, reason, record index, and the time of failure in RFC 3339 with
// nanoseconds, UTC). An original header whose key is one of the fw_ keys is
// dropped, so that a letter sent twice still names one source.
//
// KafkaDeadLetters is safe for concurrent use. It borrows its client and never
// closes it.
type KafkaDeadLetters struct {
	client *kgo.Client
	topic  string
	now    func() time.Time
}

// NewKafkaDeadLetters returns a dead-letter sink that produces to topic
// through client.
func NewKafkaDeadLetters(client *kgo.Client, topic string) *KafkaDeadLetters {
	return &KafkaDeadLetters{client: client, topic: topic, now: time.Now}
}

// Topic returns the topic the sink produces to.
func (s *KafkaDeadLetters) Topic() string { return s.topic }

// Send produces the letters and waits until every one is acknowledged. It
// implements DeadLetterSink.
func (s *KafkaDeadLetters) Send(ctx context.Context, letters []DeadLetter) error {
	if len(letters) == 0 {
		return nil
	}
	failedAt := []byte(s.now().UTC().Format(time.RFC3339Nano))
	recs := make([]*kgo.Record, len(letters))
	for i := range letters {
		recs[i] = s.record(&letters[i], failedAt)
	}
	return produceAll(ctx, s.client, recs, "dead letters to "+s.topic)
}

// record builds the Kafka record of one dead letter.
func (s *KafkaDeadLetters) record(d *DeadLetter, failedAt []byte) *kgo.Record {
	headers := make([]kgo.RecordHeader, 0, len(d.Headers)+6)
	for _, h := range d.Headers {
		if !isSourceHeader(h.Key) {
			headers = append(headers, h)
		}
	}
	headers = append(headers,
		kgo.RecordHeader{Key: HeaderSourceTopic, Value: []byte(d.Topic)},
		kgo.RecordHeader{Key: HeaderSourcePartition, Value: itoa(int64(d.Partition))},
		kgo.RecordHeader{Key: HeaderSourceOffset, Value: itoa(d.Offset)},
		kgo.RecordHeader{Key: HeaderReason, Value: []byte(d.Reason)},
		kgo.RecordHeader{Key: HeaderRecordIndex, Value: itoa(int64(d.Record))},
		kgo.RecordHeader{Key: HeaderFailedAt, Value: failedAt},
	)
	return &kgo.Record{Topic: s.topic, Key: d.Key, Value: d.Value, Headers: headers}
}

// Close flushes records the shared client still buffers; the client stays
// open.
func (s *KafkaDeadLetters) Close(ctx context.Context) error {
	if err := s.client.Flush(ctx); err != nil {
		return fmt.Errorf("flush producer: %w", err)
	}
	return nil
}

// isSourceHeader reports whether key is one of the headers Send sets.
func isSourceHeader(key string) bool {
	switch key {
	case HeaderSourceTopic, HeaderSourcePartition, HeaderSourceOffset,
		HeaderReason, HeaderRecordIndex, HeaderFailedAt:
		return true
	}
	return false
}

func itoa(n int64) []byte { return strconv.AppendInt(nil, n, 10) }
