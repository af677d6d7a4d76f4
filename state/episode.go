package state

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// CertRow is a certificate row: the hash was seen signed at Time.
type CertRow struct {
	Tenant string // tenant scope of the episode a late row closes
	SHA1   string
	Time   time.Time
}

// SignAction is what a certificate row did to a hash's episode.
type SignAction string

// Sign actions.
const (
	SignClose   SignAction = "close"  // an alert was open: publish a close, then call Closed
	SignPending SignAction = "signed" // the hash was waiting out the grace period: no alert
)

// Signed is an episode a certificate row moved.
type Signed struct {
	Tenant, SHA1 string
	Action       SignAction
	EpisodeStart time.Time
}

// MarkSigned records certificate rows in one pipelined round trip, batched
// as Apply batches events, and returns the episodes they moved: a row signs
// the file in every tenant scope, so with tenants kept apart it may end
// episodes of other tenants than its own. A row already older than the
// lookback at now changes nothing.
func (s *Store) MarkSigned(ctx context.Context, now time.Time, rows []CertRow) ([]Signed, error) {
	live := make([]CertRow, 0, len(rows)) // the rows still inside the lookback
	for _, r := range rows {
		if r.Time.Add(s.opt.Lookback).After(now) {
			live = append(live, r)
		}
	}
	if len(live) == 0 {
		return nil, nil
	}
	calls := s.calls(len(live), func(i int) string { return live[i].SHA1 })
	cmds, err := s.runReplicated(ctx, func(p redis.Pipeliner) error {
		for _, call := range calls {
			keys := make([]string, 0, 3*len(call))
			args := make([]any, 0, 3*len(call))
			for _, i := range call {
				r := live[i]
				hk := s.keys.Hash(r.Tenant, r.SHA1)
				keys = append(keys, hk.Cert, hk.Episode, hk.Episodes)
				args = append(args, r.Time.UnixMilli(), ttlUntil(now, r.Time.Add(s.opt.Lookback)), r.Tenant)
			}
			signScript.EvalSha(ctx, p, keys, args...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []Signed
	for c, cmd := range cmds {
		replies, err := callReplies(cmd, len(calls[c]), "sign")
		if err != nil {
			return nil, err
		}
		for k, i := range calls[c] {
			moved, _ := replies[k].([]any)
			for _, m := range moved {
				sg, err := parseSigned(live[i], m)
				if err != nil {
					return nil, err
				}
				out = append(out, sg)
			}
		}
	}
	return out, nil
}

// parseSigned reads one {tenant, action, episode start} of the sign script.
func parseSigned(r CertRow, m any) (Signed, error) {
	v, _ := m.([]any)
	if len(v) != 3 {
		return Signed{}, fmt.Errorf("sign script: %d values, want 3", len(v))
	}
	tenant, _ := v[0].(string)
	action, _ := v[1].(string)
	start, _ := v[2].(int64)
	sg := Signed{Tenant: tenant, SHA1: r.SHA1, Action: SignAction(action)}
	if start > 0 {
		sg.EpisodeStart = time.UnixMilli(start).UTC()
	}
	return sg, nil
}

// Summary is what an alert is built from: the counts over the window and
// the episode.
type Summary struct {
	CertTime  time.Time // zero when no certificate row is kept
	Groups    map[Group]int64
	FirstSeen map[string]time.Time // per device id
	LastSeen  map[string]time.Time
	Status    Status
	Start     time.Time
	AlertID   string
	Reported  map[string]bool     // devices already named in an alert
	Samples   map[string][]string // per sample kind, sorted
}

// Count returns the number of events over the window.
func (s *Summary) Count() int64 {
	var n int64
	for _, c := range s.Groups {
		n += c
	}
	return n
}

// Devices returns the distinct device ids with events in the window, sorted.
func (s *Summary) Devices() []string {
	seen := map[string]bool{}
	for g := range s.Groups {
		seen[g.DeviceID] = true
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Summary slides the hash's window to now and reads it.
func (s *Store) Summary(ctx context.Context, now time.Time, tenant, sha1 string) (Summary, error) {
	hk := s.keys.Hash(tenant, sha1)
	_, oldest := s.window(now)
	v, err := summaryScript.Run(ctx, s.rdb, []string{hk.Cert, hk.Totals, hk.Buckets, hk.Episode},
		oldest, hk.BucketPrefix()).Slice()
	if err != nil || len(v) != 3 {
		return Summary{}, unavailable("summary", err)
	}
	sum := Summary{Groups: map[Group]int64{}, FirstSeen: map[string]time.Time{},
		LastSeen: map[string]time.Time{}, Reported: map[string]bool{}, Samples: map[string][]string{}}
	if c, _ := v[0].(int64); c > 0 {
		sum.CertTime = time.UnixMilli(c).UTC()
	}
	totals, _ := v[1].([]any)
	eachPair(totals, func(f, val string) {
		n, _ := strconv.ParseInt(val, 10, 64)
		switch f[0] {
		case 'c':
			sum.Groups[ParseGroup(f[1:])] = n
		case 'f':
			sum.FirstSeen[f[1:]] = time.UnixMilli(n).UTC()
		case 'l':
			sum.LastSeen[f[1:]] = time.UnixMilli(n).UTC()
		}
	})
	ep, _ := v[2].([]any)
	eachPair(ep, func(f, val string) { sum.episodeField(f, val) })
	for _, list := range sum.Samples {
		sort.Strings(list)
	}
	return sum, nil
}

func (sum *Summary) episodeField(f, val string) {
	switch {
	case f == "status":
		sum.Status = Status(val)
	case f == "start":
		n, _ := strconv.ParseInt(val, 10, 64)
		sum.Start = time.UnixMilli(n).UTC()
	case f == "id":
		sum.AlertID = val
	case f == "lu":
	case strings.HasPrefix(f, "d"):
		sum.Reported[f[1:]] = true
	case strings.HasPrefix(f, "s") && len(f) > 1:
		sum.Samples[f[1:2]] = append(sum.Samples[f[1:2]], f[2:])
	}
}

func eachPair(kv []any, fn func(f, v string)) {
	for i := 0; i+1 < len(kv); i += 2 {
		f, _ := kv[i].(string)
		v, _ := kv[i+1].(string)
		if f != "" {
			fn(f, v)
		}
	}
}

// Open records that the create alert id was published for the episode that
// started at start, naming devices. It reports false when the episode moved
// on meanwhile (signed, or already open).
func (s *Store) Open(ctx context.Context, tenant, sha1, id string, at time.Time, devices []string) (bool, error) {
	args := []any{string(StatusPending), string(StatusOpen), "id", id, "lu", at.UnixMilli()}
	for _, d := range devices {
		args = append(args, "d"+d, 1)
	}
	return s.transition(ctx, tenant, sha1, args)
}

// Dismiss ends a pending episode without an alert: the profile says the
// file is signed or common.
func (s *Store) Dismiss(ctx context.Context, tenant, sha1 string) (bool, error) {
	return s.transition(ctx, tenant, sha1, []any{string(StatusPending), string(StatusDismissed)})
}

// Closed records that the close alert of an episode was published.
func (s *Store) Closed(ctx context.Context, tenant, sha1 string) (bool, error) {
	return s.transition(ctx, tenant, sha1, []any{string(StatusClosing), string(StatusClosed)})
}

func (s *Store) transition(ctx context.Context, tenant, sha1 string, args []any) (bool, error) {
	hk := s.keys.Hash(tenant, sha1)
	n, err := transitionScript.Run(ctx, s.rdb, []string{hk.Episode}, args...).Int()
	if err != nil {
		return false, unavailable("episode", err)
	}
	return n == 1, nil
}
