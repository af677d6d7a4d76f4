package sinks

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/segmentio/encoding/json"
	"github.com/twmb/franz-go/pkg/kgo"
)

// badLetters are dead letters whose bytes must survive exactly: invalid
// UTF-8, a NUL, a truncated envelope, one record cut out of an envelope.
func badLetters() []DeadLetter {
	return []DeadLetter{{
		Topic: "mde.events", Partition: 3, Offset: 42, Record: WholeMessage,
		Reason: "invalid json: unexpected end of input",
		Value:  []byte(`{"records":[{"time":"2025-01-15T08:04:11Z","properties":{"DeviceName":"h\xff\xfe`),
		Key:    []byte("k\x00\xff"),
		Headers: []kgo.RecordHeader{
			{Key: "content-type", Value: []byte("application/json")},
			{Key: HeaderReason, Value: []byte("stale reason from an earlier hop")},
		},
	}, {
		Topic: "mde.events", Partition: 0, Offset: 7, Record: 3,
		Reason: "record 3: Timestamp \"05/12/2024 6:41:32 PM\": not RFC 3339 \xc3",
		Value:  []byte(`{"properties":{"Timestamp":"05/12/2024 6:41:32 PM","FolderPath":"c:\\x\xc3("}}`),
	}}
}

func TestKafkaDeadLettersKeepBytes(t *testing.T) {
	const topic = "fw.deadletters"
	c, cl := newCluster(t, topic)
	s := NewKafkaDeadLetters(cl, topic)
	failedAt := time.Date(2025, 1, 15, 8, 5, 0, 123456789, time.FixedZone("x", 3600))
	s.now = func() time.Time { return failedAt }

	letters := badLetters()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Send(ctx, letters); err != nil {
		t.Fatalf("send: %v", err)
	}

	recs := consume(t, c, topic, len(letters))
	for i, r := range recs {
		d := letters[i]
		if !bytes.Equal(r.Value, d.Value) {
			t.Errorf("letter %d: value %q, want %q", i, r.Value, d.Value)
		}
		if !bytes.Equal(r.Key, d.Key) {
			t.Errorf("letter %d: key %q, want %q", i, r.Key, d.Key)
		}

		// The original headers come first, less any stale fw_ header.
		var want []kgo.RecordHeader
		for _, h := range d.Headers {
			if !strings.HasPrefix(h.Key, "fw_") {
				want = append(want, h)
			}
		}
		want = append(want,
			kgo.RecordHeader{Key: HeaderSourceTopic, Value: []byte(d.Topic)},
			kgo.RecordHeader{Key: HeaderSourcePartition, Value: itoa(int64(d.Partition))},
			kgo.RecordHeader{Key: HeaderSourceOffset, Value: itoa(d.Offset)},
			kgo.RecordHeader{Key: HeaderReason, Value: []byte(d.Reason)},
			kgo.RecordHeader{Key: HeaderRecordIndex, Value: itoa(int64(d.Record))},
			kgo.RecordHeader{Key: HeaderFailedAt, Value: []byte("2025-01-15T07:05:00.123456789Z")},
		)
		if !reflect.DeepEqual(r.Headers, want) {
			t.Errorf("letter %d: headers\n got %q\nwant %q", i, r.Headers, want)
		}
	}
}

func TestWriterDeadLetters(t *testing.T) {
	var out bytes.Buffer
	s := NewWriterDeadLetters(&out)
	letters := badLetters()
	if err := s.Send(context.Background(), letters); err != nil {
		t.Fatalf("send: %v", err)
	}
	if !utf8.Valid(out.Bytes()) {
		t.Errorf("output is not valid UTF-8: %q", out.Bytes())
	}

	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != len(letters) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(letters), out.Bytes())
	}
	for i, line := range lines {
		var got deadLetterLine
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		d := letters[i]
		want := deadLetterLine{
			Topic: d.Topic, Partition: d.Partition, Offset: d.Offset, Record: d.Record,
			Reason: strings.ToValidUTF8(d.Reason, "\uFFFD"), Value: d.Value,
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("line %d:\n got %+v\nwant %+v", i, got, want)
		}
	}

	// The keys are the documented ones.
	var keys map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"topic", "partition", "offset", "record", "reason", "value_base64"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("line lacks key %q: %s", k, lines[0])
		}
	}
}
