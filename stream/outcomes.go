package stream

import (
	"context"
	"fmt"
	"time"

	"github.com/flarewatch/flarewatch/sinks"
	"github.com/flarewatch/flarewatch/state"
)

// hashRef names one hash in one tenant scope.
type hashRef struct {
	tenant, sha1 string
}

var outcomeNames = [...]string{"counted", "exempt", "reread", "duplicate"}

// count records what the state did with each candidate in the metrics and
// the statistics, and caches the exemptions it found.
func (p *Pipeline) count(ctx context.Context, events []state.Event, applied []state.Applied) {
	for i, a := range applied {
		p.Metrics.with(p.Metrics.outcomes, ctx, "outcome", outcomeNames[a.Outcome], 1)
		switch a.Outcome {
		case state.Exempt:
			p.Stats.Exempted.Add(1)
			p.certs.Add(events[i].SHA1, a.CertTime.Add(p.opt.Lookback))
		case state.Counted:
			p.Stats.Counted.Add(1)
		}
	}
}

// outcomes reads what the state did with each candidate: hashes to schedule
// for their first alert, and hashes whose open episode gained a device.
func (p *Pipeline) outcomes(events []state.Event, applied []state.Applied) ([]state.Due, []state.Update) {
	var due []state.Due
	var updates []state.Update
	seen := map[hashRef]bool{}
	for i, a := range applied {
		e := &events[i]
		ref := hashRef{e.Tenant, e.SHA1}
		switch {
		case a.Status == state.StatusPending && !seen[ref]:
			// Also after a re-read: the crash may have come before the
			// hash was scheduled, and scheduling twice is harmless.
			seen[ref] = true
			due = append(due, state.Due{Tenant: e.Tenant, SHA1: e.SHA1, At: p.Clock.Due(a.EpisodeStart)})
		case a.Status == state.StatusOpen && a.UpdateOwed != "" &&
			(a.NewDevice || a.Outcome == state.Reread) && !seen[ref]:
			// A re-read hands out an update still owed: the process
			// before may have died between the state write and the
			// publish.
			seen[ref] = true
			updates = append(updates, state.Update{Tenant: e.Tenant, SHA1: e.SHA1, Owed: a.UpdateOwed})
		}
	}
	return due, updates
}

// closes feeds every certificate row to the local certificate cache, and
// returns the open alerts the rows end, each once however many rows of
// the batch end it.
func (p *Pipeline) closes(rows []state.CertRow, signed []state.Signed) []hashRef {
	for _, r := range rows {
		p.certs.Add(r.SHA1, r.Time.Add(p.opt.Lookback))
	}
	var out []hashRef
	seen := map[hashRef]bool{}
	for _, s := range signed {
		ref := hashRef{s.Tenant, s.SHA1}
		if s.Action == state.SignClose && !seen[ref] {
			seen[ref] = true
			out = append(out, ref)
		}
	}
	return out
}

// publish builds the update and close alerts of a batch and publishes them
// with the batch's dead letters; then it records the updates and closes as
// done.
func (p *Pipeline) publish(ctx context.Context, now time.Time, updates []state.Update, closes []hashRef,
	letters []sinks.DeadLetter) error {
	var alerts []sinks.Alert
	if err := p.retry(ctx, "summarize", func() (err error) {
		alerts = alerts[:0]
		for _, u := range updates {
			a, ok, err := p.alertFor(ctx, now, hashRef{u.Tenant, u.SHA1}, sinks.ActivityUpdate)
			if err != nil {
				return err
			}
			if ok {
				alerts = append(alerts, a)
			}
		}
		for _, ref := range closes {
			a, _, err := p.alertFor(ctx, now, ref, sinks.ActivityClose)
			if err != nil {
				return err
			}
			a.Reason = sinks.ReasonSigned
			alerts = append(alerts, a)
		}
		return nil
	}); err != nil {
		return err
	}
	if err := p.send(ctx, alerts, letters); err != nil {
		return err
	}
	if err := p.retry(ctx, "updated", func() error { return p.Store.UpdatesSent(ctx, updates) }); err != nil {
		return err
	}
	for _, ref := range closes {
		if err := p.retry(ctx, "closed", func() error {
			_, err := p.Store.Closed(ctx, ref.tenant, ref.sha1)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// send publishes alerts and dead letters, retrying until both are
// acknowledged.
func (p *Pipeline) send(ctx context.Context, alerts []sinks.Alert, letters []sinks.DeadLetter) error {
	if len(letters) > 0 {
		p.capLetters(letters)
		if err := p.retry(ctx, "dead_letters", func() error {
			return p.DeadLetters.Send(ctx, letters)
		}); err != nil {
			return err
		}
		for _, l := range letters {
			p.Metrics.with(p.Metrics.deadLetters, ctx, "scope", scope(l.Record), 1)
		}
		p.Stats.DeadLetters.Add(int64(len(letters)))
	}
	if len(alerts) == 0 {
		return nil
	}
	if err := p.retry(ctx, "alerts", func() error { return p.Alerts.Publish(ctx, alerts) }); err != nil {
		return err
	}
	for _, a := range alerts {
		p.Metrics.with(p.Metrics.alerts, ctx, "activity", string(a.Activity), 1)
		switch a.Activity {
		case sinks.ActivityCreate:
			p.Stats.Created.Add(1)
		case sinks.ActivityUpdate:
			p.Stats.Updated.Add(1)
		case sinks.ActivityClose:
			p.Stats.Closed.Add(1)
		}
	}
	return nil
}

func scope(record int) string {
	if record < 0 {
		return "message"
	}
	return "record"
}

// capLetters cuts the original bytes of dead letters larger than the cap.
func (p *Pipeline) capLetters(letters []sinks.DeadLetter) {
	limit := p.opt.DeadLetterMaxBytes
	for i := range letters {
		if n := len(letters[i].Value); limit > 0 && n > limit {
			letters[i].Value = letters[i].Value[:limit]
			letters[i].Reason += fmt.Sprintf("; value cut from %d to %d bytes, whole at the source offset", n, limit)
		}
	}
}
