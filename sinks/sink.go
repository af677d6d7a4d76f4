package sinks

import (
	"context"
	"errors"
	"fmt"
)

// ErrClosed is returned by Publish or Send on a sink that has been closed.
var ErrClosed = errors.New("sinks: sink closed")

// Sink is a destination for alerts.
//
// Publish returns nil only when every alert of the batch has been
// acknowledged by the destination and will survive a restart of this
// process: the caller commits its input offsets after a nil return and never
// offers those alerts again. On an error none, some or all of the alerts may
// have been delivered; the caller keeps its offsets and retries the whole
// batch later. Alerts carry deterministic ids (see AlertID), so a consumer
// drops the repeats. Publish honours ctx: a cancelled or expired context ends
// the call with an error that wraps ctx.Err() or the destination's error.
// Publish of an empty batch returns nil.
//
// Close flushes what the sink buffers and releases what it owns. It is called
// once, after the last Publish, on a context with a deadline that outlives the
// cancelled root context. Publish after Close returns ErrClosed.
//
// Publish is called from several partition workers at once: implementations
// must be safe for concurrent use.
type Sink interface {
	Publish(ctx context.Context, alerts []Alert) error
	Close(ctx context.Context) error
}

// multi is the Sink returned by Multi.
type multi []Sink

// Multi returns a Sink that publishes every batch to each of sinks in turn,
// and closes each of them on Close. Its error joins the errors of the sinks
// that failed, each naming its position and type; a failed sink does not stop
// the others from being tried. With one sink Multi returns that sink.
func Multi(sinks ...Sink) Sink {
	if len(sinks) == 1 {
		return sinks[0]
	}
	return multi(append([]Sink(nil), sinks...))
}

// Publish implements Sink.
func (m multi) Publish(ctx context.Context, alerts []Alert) error {
	var errs []error
	for i, s := range m {
		if err := s.Publish(ctx, alerts); err != nil {
			errs = append(errs, fmt.Errorf("sink %d (%T): %w", i, s, err))
		}
	}
	return errors.Join(errs...)
}

// Close implements Sink.
func (m multi) Close(ctx context.Context) error {
	var errs []error
	for i, s := range m {
		if err := s.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("close sink %d (%T): %w", i, s, err))
		}
	}
	return errors.Join(errs...)
}
