package sinks

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// recordingSink counts the alerts it is given and fails with err.
type recordingSink struct {
	mu     sync.Mutex
	got    int
	closed bool
	err    error
}

func (s *recordingSink) Publish(_ context.Context, alerts []Alert) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got += len(alerts)
	return s.err
}

func (s *recordingSink) Close(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return s.err
}

func TestMulti(t *testing.T) {
	errA, errB := errors.New("broker down"), errors.New("disk full")
	tests := []struct {
		name string
		errs []error // one sink per entry, failing with it
	}{
		{"none", nil},
		{"one ok", []error{nil}},
		{"one failing", []error{errA}},
		{"all ok", []error{nil, nil, nil}},
		{"first fails, rest still tried", []error{errA, nil, nil}},
		{"two fail", []error{errA, nil, errB}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sinks []Sink
			var recs []*recordingSink
			for _, err := range tt.errs {
				r := &recordingSink{err: err}
				recs = append(recs, r)
				sinks = append(sinks, r)
			}
			m := Multi(sinks...)
			ctx := context.Background()
			batch := []Alert{sampleAlert(), sampleAlert()}

			pubErr := m.Publish(ctx, batch)
			closeErr := m.Close(ctx)
			for i, r := range recs {
				if r.got != len(batch) || !r.closed {
					t.Errorf("sink %d: got %d alerts, closed %v", i, r.got, r.closed)
				}
			}
			for _, err := range tt.errs {
				if err == nil {
					continue
				}
				if !errors.Is(pubErr, err) || !errors.Is(closeErr, err) {
					t.Errorf("errors %v / %v do not wrap %v", pubErr, closeErr, err)
				}
			}
			wantErr := errors.Join(tt.errs...) != nil
			if (pubErr != nil) != wantErr || (closeErr != nil) != wantErr {
				t.Errorf("publish error %v, close error %v, want errors: %v", pubErr, closeErr, wantErr)
			}
		})
	}
}
