package stream

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// ReplayPlan is the span of a topic a replay reads: per partition, the
// first offset and the offset it stops before.
type ReplayPlan struct {
	Topic string
	Start map[int32]int64
	End   map[int32]int64
}

// Records returns how many offsets the plan spans.
func (p ReplayPlan) Records() int64 {
	var n int64
	for part, end := range p.End {
		n += max(end-p.Start[part], 0)
	}
	return n
}

// PlanReplay finds, for each partition of topic, the first offset whose
// Kafka timestamp is at or after from, and the offset to stop before: the
// first at or after to, or the end of the partition as it is now,
// whichever comes first. Records produced after the plan is made are not
// part of the replay.
func PlanReplay(ctx context.Context, adm *kadm.Client, topic string, from, to time.Time) (ReplayPlan, error) {
	plan := ReplayPlan{Topic: topic, Start: map[int32]int64{}, End: map[int32]int64{}}
	starts, err := adm.ListOffsetsAfterMilli(ctx, from.UnixMilli(), topic)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return plan, fmt.Errorf("offsets at %s: %w", from.Format(time.RFC3339), err)
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return plan, fmt.Errorf("end offsets: %w", err)
	}
	stops, err := adm.ListOffsetsAfterMilli(ctx, to.UnixMilli(), topic)
	if err == nil {
		err = stops.Error()
	}
	if err != nil {
		return plan, fmt.Errorf("offsets at %s: %w", to.Format(time.RFC3339), err)
	}
	starts.Each(func(o kadm.ListedOffset) { plan.Start[o.Partition] = o.Offset })
	ends.Each(func(o kadm.ListedOffset) { plan.End[o.Partition] = o.Offset })
	stops.Each(func(o kadm.ListedOffset) {
		if o.Offset >= 0 && o.Offset < plan.End[o.Partition] {
			plan.End[o.Partition] = o.Offset
		}
	})
	if len(plan.Start) == 0 {
		return plan, fmt.Errorf("topic %s has no partitions", topic)
	}
	return plan, nil
}

// ReplayProgress returns how many of the plan's offsets group has
// committed past, and whether it is done.
func ReplayProgress(ctx context.Context, adm *kadm.Client, group string, plan ReplayPlan) (int64, bool, error) {
	have, err := adm.FetchOffsets(ctx, group)
	if err == nil {
		err = have.Error()
	}
	if err != nil {
		return 0, false, err
	}
	var done int64
	finished := true
	for part, end := range plan.End {
		at := plan.Start[part]
		if o, ok := have.Lookup(plan.Topic, part); ok && o.At > at {
			at = o.At
		}
		done += max(min(at, end)-plan.Start[part], 0)
		if at < end {
			finished = false
		}
	}
	return done, finished, nil
}
