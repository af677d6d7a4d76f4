package testenv

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// adminTimeout bounds each admin call that creates or deletes a topic.
const adminTimeout = 30 * time.Second

// Kafka returns seed brokers for the test: those in FLAREWATCH_TEST_KAFKA
// when set, otherwise a single-broker kfake cluster started for this test
// and closed when it ends. Under CI a missing variable fails the test.
func Kafka(t testing.TB) []string {
	t.Helper()
	if a := addrs(t, EnvKafka); len(a) > 0 {
		return a
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatalf("testenv: start kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

// RealKafka returns the seed brokers in FLAREWATCH_TEST_KAFKA, for tests
// that kfake cannot stand in for. It skips the test when the variable is
// unset, and fails it under CI.
func RealKafka(t testing.TB) []string {
	t.Helper()
	return realAddrs(t, EnvKafka)
}

// badTopicChars matches what Kafka does not allow in a topic name.
var badTopicChars = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)

// Topic creates a topic with the given number of partitions and
// replication factor 1, named after the test plus a random suffix, waits
// until every partition has a leader, and deletes it when the test ends.
func Topic(t testing.TB, brokers []string, partitions int32) string {
	t.Helper()
	name := badTopicChars.ReplaceAllString(t.Name(), "_")
	if len(name) > 80 {
		name = name[:80]
	}
	name = fmt.Sprintf("fw-test-%s-%s", name, unique(4))

	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatalf("testenv: kafka client: %v", err)
	}
	adm := kadm.NewClient(cl)
	t.Cleanup(cl.Close)

	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	if _, err := adm.CreateTopic(ctx, partitions, 1, nil, name); err != nil {
		t.Fatalf("testenv: create topic %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
		defer cancel()
		if _, err := adm.DeleteTopic(ctx, name); err != nil {
			t.Logf("testenv: delete topic %s: %v", name, err)
		}
	})
	if err := waitLeaders(ctx, adm, name, partitions); err != nil {
		t.Fatalf("testenv: topic %s: %v", name, err)
	}
	return name
}

// waitLeaders polls the topic's metadata until each of its partitions has
// a leader, so that a test can produce to it at once.
func waitLeaders(ctx context.Context, adm *kadm.Client, topic string, partitions int32) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		td, err := adm.ListTopics(ctx, topic)
		if err == nil {
			err = td.Error()
		}
		if err == nil && led(td[topic], partitions) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("partitions without a leader (last error %v): %w", err, ctx.Err())
		case <-tick.C:
		}
	}
}

func led(td kadm.TopicDetail, partitions int32) bool {
	if int32(len(td.Partitions)) != partitions {
		return false
	}
	for _, p := range td.Partitions {
		if p.Err != nil || p.Leader < 0 {
			return false
		}
	}
	return true
}
