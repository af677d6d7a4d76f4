package sinks

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/segmentio/encoding/json"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestKafkaSinkRoundTrip(t *testing.T) {
	const topic = "fw.alerts"
	c, cl := newCluster(t, topic)
	s := NewKafkaSink(cl, topic)

	first := sampleAlert()
	second := sampleAlert()
	second.Activity, second.Reason = ActivityCreate, ""
	second.SHA1 = "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3"
	second.ID = AlertID(second.TenantID, second.SHA1, second.EpisodeStart)
	second.Files = []string{"up\xffdater.exe"} // invalid UTF-8 leaves as U+FFFD
	alerts := []Alert{first, second}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Publish(ctx, alerts); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if err := s.Publish(ctx, nil); err != nil {
		t.Fatalf("publish of an empty batch: %v", err)
	}

	recs := consume(t, c, topic, len(alerts))
	if len(recs) != len(alerts) {
		t.Fatalf("got %d records, want %d", len(recs), len(alerts))
	}
	for i, r := range recs {
		want := alerts[i]
		if string(r.Key) != want.SHA1 {
			t.Errorf("record %d: key %q, want %q", i, r.Key, want.SHA1)
		}
		for key, value := range map[string]string{
			HeaderSchemaVersion: SchemaVersion,
			HeaderActivity:      string(want.Activity),
			HeaderAlertID:       want.ID,
			HeaderTenantID:      want.TenantID,
		} {
			if got, ok := header(r, key); !ok || got != value {
				t.Errorf("record %d: header %s = %q (present %v), want %q", i, key, got, ok, value)
			}
		}
		var got Alert
		if err := json.Unmarshal(r.Value, &got); err != nil {
			t.Fatalf("record %d: decode %s: %v", i, r.Value, err)
		}
		want.Files = append([]string(nil), want.Files...)
		for j := range want.Files {
			want.Files[j] = string(bytes.ToValidUTF8([]byte(want.Files[j]), []byte("\uFFFD")))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("record %d: decoded alert differs:\n got %+v\nwant %+v", i, got, want)
		}
	}

	// Close flushes but leaves the shared client usable.
	if err := s.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatalf("client unusable after sink close: %v", err)
	}
}

func TestKafkaSinkProduceErrors(t *testing.T) {
	const topic = "fw.alerts"
	c, _ := newCluster(t, topic)

	tests := []struct {
		name  string
		topic string
		ctx   func() (context.Context, context.CancelFunc)
		is    error // when set, the error must wrap it
	}{{
		name:  "missing topic without auto-create",
		topic: "fw.missing",
		ctx: func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 5*time.Second)
		},
		is: kerr.UnknownTopicOrPartition,
	}, {
		name:  "cancelled context",
		topic: topic,
		ctx: func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		},
		is: context.Canceled,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl := newClient(t, c, kgo.UnknownTopicRetries(1))
			ctx, cancel := tt.ctx()
			defer cancel()

			start := time.Now()
			err := NewKafkaSink(cl, tt.topic).Publish(ctx, []Alert{sampleAlert()})
			if err == nil {
				t.Fatal("publish succeeded, want an error")
			}
			t.Logf("publish error: %v", err)
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
			if d := time.Since(start); d > 6*time.Second {
				t.Errorf("publish took %v to fail", d)
			}
		})
	}
}
