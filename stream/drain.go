package stream

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// Drained reports whether group has committed every partition of topics up
// to the end offset it has now.
func Drained(ctx context.Context, adm *kadm.Client, group string, topics ...string) (bool, error) {
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return false, err
	}
	if err := ends.Error(); err != nil {
		return false, err
	}
	committed, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return false, err
	}
	done := true
	ends.Each(func(o kadm.ListedOffset) {
		c, ok := committed.Lookup(o.Topic, o.Partition)
		if o.Offset > 0 && (!ok || c.At < o.Offset) {
			done = false
		}
	})
	return done, nil
}

// WaitDrained waits until group has consumed all of topics, checking every
// tenth of a second, then calls stop (which ends the consumer). It gives up
// after timeout, and calls stop all the same.
func WaitDrained(ctx context.Context, adm *kadm.Client, group string, timeout time.Duration,
	stop func(), topics ...string) error {
	defer stop()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if ok, err := Drained(ctx, adm, group, topics...); err == nil && ok {
			return nil
		}
	}
	return fmt.Errorf("input not consumed within %s", timeout)
}
