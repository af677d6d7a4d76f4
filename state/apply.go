package state

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Group is what the hunting query summarizes by, below the hash.
type Group struct {
	DeviceID   string
	DeviceName string
	FolderPath string
	FileName   string
	SHA256     string
}

const groupSep = "\x1f"

// String encodes the group as a hash field. A separator inside a field
// becomes U+FFFD, so that ParseGroup reads the fields back in their places.
func (g Group) String() string {
	f := []string{g.DeviceID, g.DeviceName, g.FolderPath, g.FileName, g.SHA256}
	for i := range f {
		f[i] = strings.ReplaceAll(f[i], groupSep, "\uFFFD")
	}
	return strings.Join(f, groupSep)
}

// ParseGroup is the inverse of Group.String.
func ParseGroup(s string) Group {
	p := strings.SplitN(s, groupSep, 5)
	for len(p) < 5 {
		p = append(p, "")
	}
	return Group{DeviceID: p[0], DeviceName: p[1], FolderPath: p[2], FileName: p[3], SHA256: p[4]}
}

// Sample kinds kept with an episode.
const (
	SampleAddress = "a"
	SamplePort    = "p"
	SampleURL     = "u"
	SampleRange   = "r"
	SampleAccount = "c" // name and SID, joined by SampleSep
	SampleTenant  = "t"
)

// SampleSep joins the parts of a sample value.
const SampleSep = "\x1f"

// Event is one candidate network event to count.
type Event struct {
	Tenant    string // tenant scope, "" when tenants are shared
	SHA1      string
	Partition string // "topic/partition" the event was read from
	Position  int64  // offset<<20 | index in the message: orders events in a partition
	ID        string // event identity (mde.EventID)
	Group     Group
	Time      time.Time
	Samples   [][2]string // kind, value
}

// Outcome is what Apply did with an event.
type Outcome int

// The outcomes of Apply; the script returns them as numbers in this order.
const (
	Counted   Outcome = iota
	Exempt            // a certificate row inside the lookback exempts the hash
	Reread            // this partition already applied this position
	Duplicate         // the source delivered this event before
)

// Status is the state of a hash's alert episode.
type Status string

// Episode statuses.
const (
	StatusNone      Status = ""
	StatusPending   Status = "pending"   // qualified, waiting out the grace period
	StatusOpen      Status = "open"      // create alert published
	StatusDismissed Status = "dismissed" // the profile says signed or prevalent
	StatusClosing   Status = "closing"   // signed after the alert; close not yet published
	StatusClosed    Status = "closed"
	StatusSigned    Status = "signed" // signed before any alert
)

// Applied is the result of applying one event.
type Applied struct {
	Outcome      Outcome
	Status       Status
	NewDevice    bool      // a device joined an open episode: an update is due
	EpisodeStart time.Time // the earliest event of the episode
	CertTime     time.Time // newest certificate row, when Outcome is Exempt

	// UpdateOwed is the id of the event whose new device the open
	// episode's update alert has not been published for yet, until
	// UpdatesSent settles it; "" when none is owed.
	UpdateOwed string
}

// Update is an update alert a hash owes.
type Update struct {
	Tenant, SHA1 string
	Owed         string // Applied.UpdateOwed
}

// UpdatesSent settles updates once they are published, in one round trip.
// An update owed since by another event stays owed.
func (s *Store) UpdatesSent(ctx context.Context, sent []Update) error {
	if len(sent) == 0 {
		return nil
	}
	cmds, err := s.runPipelined(ctx, func(p redis.Pipeliner) error {
		for _, u := range sent {
			settleScript.EvalSha(ctx, p, []string{s.keys.Hash(u.Tenant, u.SHA1).Episode}, u.Owed)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range cmds {
		if err := c.Err(); err != nil {
			return unavailable("settle", err)
		}
	}
	return nil
}

// Apply counts events, each once, in one pipelined round trip: one script
// call for up to maxPerCall events on a single server, one per hash on a
// Redis Cluster (see calls). now is the watermark. Results are in the order
// of events. Apply is idempotent for positions already applied, so a failed
// batch can be retried whole.
func (s *Store) Apply(ctx context.Context, now time.Time, events []Event) ([]Applied, error) {
	if len(events) == 0 {
		return nil, nil
	}
	cutoff, oldest := s.window(now)
	ttl := itoa(s.stateTTL())
	calls := s.calls(len(events), func(i int) string { return events[i].SHA1 })
	cmds, err := s.runReplicated(ctx, func(p redis.Pipeliner) error {
		for _, call := range calls {
			keys := make([]string, 0, 8*len(call))
			args := []any{oldest, cutoff, ttl, s.opt.DedupWindow.Milliseconds(),
				s.opt.UpdateInterval.Milliseconds(), s.opt.MaxSamples}
			for _, i := range call {
				e := &events[i]
				hk := s.keys.Hash(e.Tenant, e.SHA1)
				b := s.bucketStart(e.Time)
				bucketEnd := time.UnixMilli(b).Add(s.opt.Bucket + s.opt.Lookback)
				keys = append(keys, hk.Cert, hk.Totals, hk.Bucket(b), hk.Buckets, hk.Offsets,
					hk.Seen(b), hk.Episode, hk.Episodes)
				args = append(args, 9+2*len(e.Samples), e.Partition, positionArg(e.Position), e.ID, e.Group.String(),
					e.Time.UnixMilli(), b, ttlUntil(now, bucketEnd), e.Group.DeviceID, e.Tenant)
				for _, smp := range e.Samples {
					args = append(args, smp[0], smp[1])
				}
			}
			applyScript.EvalSha(ctx, p, keys, args...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]Applied, len(events))
	for c, cmd := range cmds {
		replies, err := callReplies(cmd, len(calls[c]), "apply")
		if err != nil {
			return nil, err
		}
		for j, i := range calls[c] {
			v, _ := replies[j].([]any)
			if out[i], err = parseApplied(v); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// positionArg renders a position as the apply script compares it: 20
// digits, so that text order is number order for every int64 >= 0.
func positionArg(pos int64) string { return fmt.Sprintf("%020d", pos) }

// callReplies returns the replies of a batched script call, one per item.
func callReplies(cmd redis.Cmder, items int, op string) ([]any, error) {
	v, err := cmd.(*redis.Cmd).Slice()
	if err != nil {
		return nil, unavailable(op, err)
	}
	if len(v) != items {
		return nil, fmt.Errorf("%s script: %d replies for %d items", op, len(v), items)
	}
	return v, nil
}

func parseApplied(v []any) (Applied, error) {
	if len(v) != 6 {
		return Applied{}, fmt.Errorf("apply script: %d values, want 6", len(v))
	}
	code, _ := v[0].(int64)
	st, _ := v[1].(string)
	nd, _ := v[2].(int64)
	start, _ := v[3].(int64)
	cert, _ := v[4].(int64)
	owed, _ := v[5].(string)
	a := Applied{Outcome: Outcome(code), Status: Status(st), NewDevice: nd == 1, UpdateOwed: owed}
	if start > 0 {
		a.EpisodeStart = time.UnixMilli(start).UTC()
	}
	if cert > 0 {
		a.CertTime = time.UnixMilli(cert).UTC()
	}
	return a, nil
}
