package sinks

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

func TestEnsureTopics(t *testing.T) {
	const existing = "fw.existing"
	c, cl := newCluster(t, existing)
	adm := kadm.NewClient(cl)

	tests := []struct {
		name       string
		partitions int32
		topics     []string
		is         error // when set, the error must wrap it
	}{
		{name: "nothing to do", partitions: 3},
		{name: "creates missing", partitions: 3, topics: []string{"fw.alerts", "fw.deadletters"}},
		{name: "existing is success", partitions: 3, topics: []string{existing}},
		{name: "again is success", partitions: 3, topics: []string{"fw.alerts", existing}},
		{name: "repeats and empty skipped", partitions: 2, topics: []string{"fw.x", "", "fw.x"}},
		{name: "broker refusal wraps kerr", partitions: 0, topics: []string{"fw.zero"},
			is: kerr.InvalidPartitions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := EnsureTopics(ctx, adm, tt.partitions, tt.topics...)
			if tt.is != nil {
				if !errors.Is(err, tt.is) {
					t.Fatalf("error %v, want one wrapping %v", err, tt.is)
				}
				return
			}
			if err != nil {
				t.Fatalf("ensure: %v", err)
			}

			// A fresh client: kgo may answer a repeated metadata request
			// from its cache.
			listed, err := kadm.NewClient(newClient(t, c)).ListTopics(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, topic := range tt.topics {
				if topic != "" && !slices.Contains(listed.Names(), topic) {
					t.Errorf("topic %q missing after ensure; have %v", topic, listed.Names())
				}
			}
		})
	}
}
