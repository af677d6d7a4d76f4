package stream

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flarewatch/flarewatch/sinks"
	"github.com/flarewatch/flarewatch/state"
	"github.com/flarewatch/flarewatch/stream/mde"
	"github.com/flarewatch/flarewatch/stream/rule"
)

// maxRecordsPerMessage bounds the record index folded into a position
// (offset<<20 | index); a message holding more is split across positions
// that still order correctly within its partition.
const maxRecordsPerMessage = 1 << 20

// certSlack is how much a certificate row may extend a hash's exemption
// and still be skipped when the hash is known signed here.
const certSlack = time.Hour

// batch is what one fetch of one partition amounts to.
type batch struct {
	certs   []state.CertRow
	events  []state.Event
	letters []sinks.DeadLetter
}

// Process handles one fetch of one partition, in offset order, and returns
// once the state is written and every alert and dead letter it caused is
// acknowledged: the caller may then commit past the last message. It
// retries while Redis or Kafka are unavailable and returns an error only
// when ctx ends.
func (p *Pipeline) Process(ctx context.Context, dec *mde.Decoder, msgs []*kgo.Record) error {
	var b batch
	for _, m := range msgs {
		p.collect(ctx, dec, m, &b)
	}
	now := p.Clock.Now()
	var w written
	if err := p.write(ctx, now, &b, &w); err != nil {
		return err
	}
	p.count(ctx, b.events, w.applied)
	if len(w.due) > 0 {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
	closes := p.closes(b.certs, w.signed)
	return p.publish(ctx, now, w.updates, closes, b.letters)
}

// written is what a batch's state writes did.
type written struct {
	signed  []state.Signed
	applied []state.Applied
	due     []state.Due
	updates []state.Update
}

// write records a batch's certificate rows and events in Redis and
// schedules the hashes that qualified. With redis.wait_replicas each step
// is retried until replicas acknowledge its writes (state.Options), so
// that a failover to a replica loses nothing the commit covers. Writing a
// step again is harmless: positions already applied are re-reads, and
// scheduling is idempotent.
func (p *Pipeline) write(ctx context.Context, now time.Time, b *batch, w *written) error {
	// Certificate rows go first, so that a row in the same fetch as a
	// connection exempts it.
	if err := p.retry(ctx, "sign", func() (err error) {
		w.signed, err = p.Store.MarkSigned(ctx, now, b.certs)
		return err
	}); err != nil {
		return err
	}
	if err := p.retry(ctx, "apply", func() (err error) {
		w.applied, err = p.Store.Apply(ctx, now, b.events)
		return err
	}); err != nil {
		return err
	}
	w.due, w.updates = p.outcomes(b.events, w.applied)
	return p.retry(ctx, "schedule", func() error { return p.Store.Schedule(ctx, w.due) })
}

// collect decodes one message into b. Nothing here talks to Redis.
func (p *Pipeline) collect(ctx context.Context, dec *mde.Decoder, m *kgo.Record, b *batch) {
	err := dec.Decode(m.Value, func(r *mde.Record) {
		p.collectRecord(ctx, m, r, b)
	}, func(e *mde.RecordError) {
		b.letters = append(b.letters, letter(m, e.Index, e.Raw, e.Error()))
	})
	if err != nil {
		b.letters = append(b.letters, letter(m, -1, m.Value, err.Error()))
	}
}

func (p *Pipeline) collectRecord(ctx context.Context, m *kgo.Record, r *mde.Record, b *batch) {
	p.Metrics.record(ctx, r.Category.String(), 1)
	p.Stats.Records.Add(1)
	switch r.Category {
	case mde.CertificateInfo:
		p.Stats.Certs.Add(1)
		p.collectCert(ctx, m, r, b)
	case mde.NetworkEvents:
		p.Stats.Network.Add(1)
		p.collectNetwork(ctx, m, r, b)
	default:
		p.Metrics.drop(ctx, "other_category", 1)
	}
}

func (p *Pipeline) collectCert(ctx context.Context, m *kgo.Record, r *mde.Record, b *batch) {
	t, err := r.Time()
	if err != nil {
		b.letters = append(b.letters, letter(m, r.Index, r.Raw, err.Error()))
		return
	}
	p.Clock.Observe(t)
	if !rule.IsSHA1(r.SHA1) {
		p.Metrics.drop(ctx, "certificate_no_hash", 1)
		return
	}
	// A hash known signed here already: the first row reached Redis and
	// closed any open alert, and this one would barely extend the
	// exemption. Common signed files send many rows an hour.
	sha1 := strings.ToLower(r.SHA1)
	if p.certs.Covers(sha1, t.Add(p.opt.Lookback), certSlack) {
		p.Metrics.drop(ctx, "certificate_known", 1)
		return
	}
	// Copied: the local certificate cache keeps the hash beyond the message.
	sha1 = strings.Clone(sha1)
	b.certs = append(b.certs, state.CertRow{Tenant: p.tenant(r), SHA1: sha1, Time: t})
}

func (p *Pipeline) collectNetwork(ctx context.Context, m *kgo.Record, r *mde.Record, b *batch) {
	addr, verdict := p.Rule.Check(r)
	t, terr := r.Time()
	if terr == nil {
		p.Clock.Observe(t)
	}
	if verdict != rule.Candidate {
		p.Metrics.drop(ctx, verdict.String(), 1)
		return
	}
	if terr != nil {
		b.letters = append(b.letters, letter(m, r.Index, r.Raw, terr.Error()))
		return
	}
	now := p.Clock.Now()
	if !t.After(now.Add(-p.opt.Lookback)) {
		p.Metrics.drop(ctx, "too_old", 1)
		return
	}
	sha1 := strings.ToLower(r.ProcessSHA1)
	p.Metrics.candidates.Add(ctx, 1)
	p.Stats.Candidates.Add(1)
	if p.certs.Signed(sha1, now) {
		p.Metrics.drop(ctx, "signed_cached", 1)
		p.Stats.Exempted.Add(1)
		return
	}
	b.events = append(b.events, p.event(m, r, sha1, addr, t))
}

// event copies a candidate out of the message into what the state counts.
func (p *Pipeline) event(m *kgo.Record, r *mde.Record, sha1 string, addr netip.Addr, t time.Time) state.Event {
	d := r.Detail()
	samples := [][2]string{
		{state.SampleAddress, addr.String()},
		{state.SampleURL, d.RemoteURL},
		{state.SampleAccount, d.AccountName + state.SampleSep + d.AccountSID},
		{state.SampleTenant, r.TenantID},
	}
	if d.RemotePort > 0 {
		samples = append(samples, [2]string{state.SamplePort, strconv.Itoa(d.RemotePort)})
	}
	if pfx, ok := p.Rule.Ranges().Match(addr); ok {
		samples = append(samples, [2]string{state.SampleRange, pfx.String()})
	}
	return state.Event{
		Tenant:    p.tenant(r),
		SHA1:      strings.Clone(sha1),
		Partition: m.Topic + "/" + strconv.Itoa(int(m.Partition)),
		Position:  m.Offset<<20 | int64(min(r.Index, maxRecordsPerMessage-1)),
		ID:        mde.EventID(r.Category, d.DeviceID, t, r.ReportIDString()),
		Group: state.Group{DeviceID: d.DeviceID, DeviceName: d.DeviceName,
			FolderPath: d.FolderPath, FileName: d.FileName, SHA256: d.SHA256},
		Time:    t,
		Samples: samples,
	}
}

// tenant returns the tenant scope of a record: its tenant when tenants are
// kept apart, "" when they share state.
func (p *Pipeline) tenant(r *mde.Record) string {
	if !p.opt.SeparateTenants {
		return ""
	}
	return strings.Clone(safeTenant(r.TenantID))
}

// safeTenant keeps a tenant id usable inside a key: tenant ids are GUIDs,
// and anything else is reduced to its letters, digits and dashes.
func safeTenant(s string) string {
	return strings.Map(func(c rune) rune {
		if c == '-' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' {
			return c
		}
		return -1
	}, s)
}

func letter(m *kgo.Record, idx int, raw []byte, reason string) sinks.DeadLetter {
	return sinks.DeadLetter{
		Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Reason: reason,
		Value: append([]byte(nil), raw...), Key: m.Key, Headers: m.Headers, Record: idx,
	}
}
