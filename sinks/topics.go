package sinks

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// EnsureTopics creates those of topics that do not exist yet, with the given
// number of partitions and the broker's default replication factor. A topic
// that already exists is left as it is, whatever its partition count. Empty
// and repeated names are skipped. The error joins one error per topic that
// could not be created, each wrapping the broker's error (a kerr.Error).
func EnsureTopics(ctx context.Context, adm *kadm.Client, partitions int32, topics ...string) error {
	names := make([]string, 0, len(topics))
	seen := make(map[string]bool, len(topics))
	for _, t := range topics {
		if t != "" && !seen[t] {
			seen[t] = true
			names = append(names, t)
		}
	}
	if len(names) == 0 {
		return nil
	}

	resps, err := adm.CreateTopics(ctx, partitions, -1, nil, names...)
	if err != nil {
		return fmt.Errorf("create topics: %w", err)
	}
	var errs []error
	for _, t := range names {
		r, ok := resps[t]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("create topic %q: missing from the broker's response", t))
		case r.Err == nil, errors.Is(r.Err, kerr.TopicAlreadyExists):
		case r.ErrMessage != "":
			errs = append(errs, fmt.Errorf("create topic %q: %w (%s)", t, r.Err, r.ErrMessage))
		default:
			errs = append(errs, fmt.Errorf("create topic %q: %w", t, r.Err))
		}
	}
	return errors.Join(errs...)
}
