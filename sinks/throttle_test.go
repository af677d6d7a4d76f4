package sinks

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// keepingSink keeps what it is given and fails while err is set.
type keepingSink struct {
	mu     sync.Mutex
	got    []Alert
	err    error
	closed bool
}

func (s *keepingSink) Publish(_ context.Context, alerts []Alert) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.got = append(s.got, alerts...)
	return nil
}

func (s *keepingSink) Close(context.Context) error { s.closed = true; return nil }

// take returns and forgets what the sink was given.
func (s *keepingSink) take() []Alert {
	s.mu.Lock()
	defer s.mu.Unlock()
	got := s.got
	s.got = nil
	return got
}

// episodeAlert is an alert of activity for the hash sha1 of tenant.
func episodeAlert(tenant, sha1 string, activity Activity, devices int) Alert {
	a := sampleAlert()
	a.TenantID, a.SHA1, a.Activity, a.Devices = tenant, sha1, activity, devices
	a.ID = AlertID(tenant, sha1, a.EpisodeStart)
	return a
}

func TestThrottle(t *testing.T) {
	next := &keepingSink{}
	th := NewThrottle(next, time.Hour)
	now := time.Date(2025, 1, 15, 8, 0, 0, 0, time.UTC)
	th.now = func() time.Time { return now }
	ctx := context.Background()
	const h1, h2 = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1", "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
	publish := func(alerts ...Alert) []Alert {
		t.Helper()
		if err := th.Publish(ctx, alerts); err != nil {
			t.Fatal(err)
		}
		return next.take()
	}
	activities := func(alerts []Alert) (out []string) {
		for _, a := range alerts {
			out = append(out, string(a.Activity)+"/"+a.TenantID+"/"+a.SHA1[:2])
		}
		return out
	}

	// A create and the first update pass; a second update within the
	// interval does not; another tenant's update of the same hash does.
	got := publish(episodeAlert("t1", h1, ActivityCreate, 1), episodeAlert("t1", h1, ActivityUpdate, 2))
	if len(got) != 2 {
		t.Fatalf("passed %v", activities(got))
	}
	now = now.Add(10 * time.Minute)
	got = publish(episodeAlert("t1", h1, ActivityUpdate, 3), episodeAlert("t2", h1, ActivityUpdate, 2),
		episodeAlert("t1", h2, ActivityUpdate, 2))
	if len(got) != 2 || got[0].TenantID != "t2" || got[1].SHA1 != h2 {
		t.Errorf("passed %v, want t2's update and h2's", activities(got))
	}
	if th.Suppressed() != 1 {
		t.Errorf("suppressed %d", th.Suppressed())
	}

	// After the interval the next update passes.
	now = now.Add(51 * time.Minute)
	if got = publish(episodeAlert("t1", h1, ActivityUpdate, 4)); len(got) != 1 || got[0].Devices != 4 {
		t.Errorf("after the interval passed %v", activities(got))
	}

	// A close always passes and forgets the hash: the next episode's first
	// update passes at once.
	now = now.Add(time.Minute)
	got = publish(episodeAlert("t1", h1, ActivityUpdate, 5), episodeAlert("t1", h1, ActivityClose, 5))
	if len(got) != 1 || got[0].Activity != ActivityClose {
		t.Errorf("passed %v, want the close alone", activities(got))
	}
	if got = publish(episodeAlert("t1", h1, ActivityUpdate, 1)); len(got) != 1 {
		t.Errorf("update after a close: passed %v", activities(got))
	}

	// Two updates of one hash in a batch: the later, with more devices, passes.
	now = now.Add(2 * time.Hour)
	got = publish(episodeAlert("t1", h2, ActivityUpdate, 6), episodeAlert("t1", h2, ActivityUpdate, 7))
	if len(got) != 1 || got[0].Devices != 7 {
		t.Errorf("passed %v, want the later update", got)
	}
}

func TestThrottleFailedPublishStartsNoInterval(t *testing.T) {
	next := &keepingSink{err: errors.New("splunk down")}
	th := NewThrottle(next, time.Hour)
	u := episodeAlert("t", "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1", ActivityUpdate, 2)
	if err := th.Publish(context.Background(), []Alert{u}); err == nil {
		t.Fatal("the wrapped sink's error was swallowed")
	}
	next.err = nil
	if err := th.Publish(context.Background(), []Alert{u}); err != nil {
		t.Fatal(err)
	}
	if got := next.take(); len(got) != 1 {
		t.Errorf("the retried update was suppressed")
	}
}

func TestThrottleConcurrent(t *testing.T) {
	next := &keepingSink{}
	th := NewThrottle(next, time.Hour)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 50 {
				sha1 := alertBatch(4)[i%4].SHA1
				act := ActivityUpdate
				if w == 0 && i%10 == 0 {
					act = ActivityClose
				}
				if err := th.Publish(context.Background(), []Alert{episodeAlert("t", sha1, act, i)}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	updates := 0
	for _, a := range next.take() {
		if a.Activity == ActivityUpdate {
			updates++
		}
	}
	// Each close lets one more update through; without them, one per hash.
	if updates < 4 || updates > 4+5 {
		t.Errorf("%d updates passed", updates)
	}
	if err := th.Close(context.Background()); err != nil || !next.closed {
		t.Errorf("close: %v, wrapped closed %v", err, next.closed)
	}
}

func TestThrottleZeroIntervalPassesAll(t *testing.T) {
	next := &keepingSink{}
	th := NewThrottle(next, 0)
	u := episodeAlert("t", "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1", ActivityUpdate, 2)
	for range 3 {
		if err := th.Publish(context.Background(), []Alert{u}); err != nil {
			t.Fatal(err)
		}
	}
	if got := next.take(); len(got) != 3 {
		t.Errorf("passed %d of 3", len(got))
	}
}
