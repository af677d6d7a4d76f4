package stream

import (
	"context"
	"time"

	"github.com/flarewatch/flarewatch/sinks"
	"github.com/flarewatch/flarewatch/state"
)

// claimBatch is how many due hashes one pass of the scheduler takes.
const claimBatch = 100

// RunScheduler raises the first alert of each hash that has outlived the
// grace period, every interval, until ctx ends. Any number of instances may
// run it: a due hash is claimed by one of them at a time.
func (p *Pipeline) RunScheduler(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		// A tick, or a hash just scheduled: with no grace period it is due
		// at once, and waiting for the tick would add up to interval.
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-p.wake:
		}
		if !p.Clock.Started() {
			continue
		}
		if _, err := p.FlushDue(ctx, p.Clock.SchedulerNow()); err != nil && ctx.Err() == nil {
			p.Log.Debug("scheduler pass", "err", err)
		}
	}
}

// FlushDue raises the alerts of every hash due at now, and returns how many
// create alerts it published.
func (p *Pipeline) FlushDue(ctx context.Context, now time.Time) (int, error) {
	created := 0
	for {
		due, err := p.Store.Claim(ctx, now, p.opt.ClaimLease, claimBatch)
		if err != nil {
			return created, err
		}
		if len(due) == 0 {
			return created, nil
		}
		for _, d := range due {
			ok, err := p.raise(ctx, d)
			if err != nil {
				return created, err
			}
			if ok {
				created++
			}
		}
	}
}

// raise decides on one due hash: a create alert, or the end of the episode
// without one. The hash leaves the pending set only once that is settled.
func (p *Pipeline) raise(ctx context.Context, d state.Due) (bool, error) {
	ref := hashRef{d.Tenant, d.SHA1}
	now := p.Clock.Now()
	sum, err := p.Store.Summary(ctx, now, d.Tenant, d.SHA1)
	if err != nil {
		return false, err
	}
	signed := !sum.CertTime.IsZero() && sum.CertTime.After(now.Add(-p.opt.Lookback))
	if sum.Status != state.StatusPending || signed || sum.Count() == 0 {
		return false, p.Store.Done(ctx, d)
	}
	profiles, err := p.Profiles.Lookup(ctx, []string{d.SHA1})
	if err != nil {
		return false, err
	}
	p.Stats.Enriched.Add(1)
	prof := profiles[d.SHA1]
	if !p.Rule.Qualifies(prof, p.opt.MaxPrevalence) {
		if _, err := p.Store.Dismiss(ctx, d.Tenant, d.SHA1); err != nil {
			return false, err
		}
		return false, p.Store.Done(ctx, d)
	}
	a := p.buildAlert(ref, &sum, prof, sinks.ActivityCreate)
	if err := p.send(ctx, []sinks.Alert{a}, nil); err != nil {
		return false, err
	}
	if _, err := p.Store.Open(ctx, d.Tenant, d.SHA1, a.ID, now, sum.Devices()); err != nil {
		return false, err
	}
	return true, p.Store.Done(ctx, d)
}
