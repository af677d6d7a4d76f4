package testenv

import (
	"context"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// client returns a franz-go client closed when the test ends.
func client(t *testing.T, brokers []string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...)}, opts...)...)
	if err != nil {
		t.Fatalf("kafka client: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// produce writes one record per value, keyed by the value so that the
// records spread over the topic's partitions.
func produce(t *testing.T, ctx context.Context, brokers []string, topic string, vals []string) {
	t.Helper()
	var recs []*kgo.Record
	for _, v := range vals {
		recs = append(recs, &kgo.Record{Topic: topic, Key: []byte(v), Value: []byte(v)})
	}
	produceRecords(t, ctx, brokers, recs)
}

func produceRecords(t *testing.T, ctx context.Context, brokers []string, recs []*kgo.Record) {
	t.Helper()
	if err := client(t, brokers).ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce %d records: %v", len(recs), err)
	}
}

// consume joins group as a new member, reads n records from where the group
// stands, commits them and leaves. It returns the values read, sorted.
func consume(t *testing.T, ctx context.Context, brokers []string, topic, group string,
	n int) []string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...),
		kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
	if err != nil {
		t.Fatalf("kafka group client: %v", err)
	}
	defer cl.Close()

	var got []string
	for _, r := range poll(t, ctx, cl, n) {
		got = append(got, string(r.Value))
	}
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatalf("commit: %v", err)
	}
	slices.Sort(got)
	return got
}

// poll fetches until it has at least n records.
func poll(t *testing.T, ctx context.Context, cl *kgo.Client, n int) []*kgo.Record {
	t.Helper()
	var got []*kgo.Record
	for len(got) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("polled %d of %d records: %v", len(got), n, err)
		}
		for _, e := range fs.Errors() {
			t.Fatalf("fetch %s/%d: %v", e.Topic, e.Partition, e.Err)
		}
		got = append(got, fs.Records()...)
	}
	return got
}

// committed returns the sum of group's committed offsets on topic.
func committed(t *testing.T, ctx context.Context, brokers []string, group, topic string) int64 {
	t.Helper()
	offsets, err := kadm.NewClient(client(t, brokers)).FetchOffsetsForTopics(ctx, group, topic)
	if err != nil {
		t.Fatalf("fetch offsets of %s: %v", group, err)
	}
	var sum int64
	offsets.Each(func(o kadm.OffsetResponse) {
		if o.Err != nil {
			t.Errorf("offset of %s/%d: %v", o.Topic, o.Partition, o.Err)
		}
		if o.At > 0 {
			sum += o.At
		}
	})
	return sum
}
