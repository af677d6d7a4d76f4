// Package hunt evaluates the rule over a finite set of messages at one
// moment, as the hunting query does over the same rows: the batch
// counterpart of the streaming pipeline, sharing its decoder (stream/mde)
// and its rule (stream/rule).
//
// Under rule.KQLParity the rows are the query's rows. Under rule.Default
// they are what the service would alert on once the certificate grace
// period has passed. Where the query leaves a choice open, or a detail of
// Kusto cannot be had, the hunt does this, in both profiles unless said:
//
//   - count() counts rows, and the query has no dedup; but the streaming API
//     re-delivers an event at times, and a re-delivered event is not a new
//     row of the Defender table. Each event identity (category, DeviceId,
//     Timestamp, ReportId) is counted once, the first record of it that
//     passes the where clause, as the service counts it.
//   - A network event without a SHA1 stays in kql-parity's groups under the
//     empty hash, so it counts towards the size guard, and gets no profile;
//     Default skips and counts it (Stats.Dropped).
//   - InitiatingProcessSHA256 is read lower-cased (mde.Detail). Defender
//     writes hashes in lower case, so this changes nothing on real data.
//   - Devices is the exact number of distinct DeviceIds; the query's dcount
//     is a HyperLogLog estimate, which may be off by a little on large
//     groups.
//   - Row.SHA256 is the group's InitiatingProcessSHA256. The query's result
//     also has FileProfile's own SHA256 column, which a Row leaves out.
//   - The query orders by Count only; rows of equal Count are ordered by
//     SHA1, SHA256, DeviceName, folder path and file name.
//
// Nothing here does I/O but the FileProfile look-up in Rows.
package hunt

import (
	"strings"
	"time"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/stream/enrich"
	"github.com/flarewatch/flarewatch/stream/mde"
	"github.com/flarewatch/flarewatch/stream/rule"
)

// The defaults of Options: the hunting query's constants.
const (
	DefaultLookback      = 30 * 24 * time.Hour
	DefaultMaxPrevalence = 50000
	DefaultMaxGroups     = 1000
)

// Options configure a hunt. Zero fields take the defaults given on each.
type Options struct {
	// Profile is rule.KQLParity or rule.Default; "" is rule.Default.
	Profile rule.Profile

	// Ranges are the watched address ranges; nil is
	// config.BundledCloudflare(). Under KQLParity only the IPv4 prefixes
	// count, as the query's ipv4_lookup does.
	Ranges *config.RangeSet

	// Now is the query's now(). A network event or a certificate row counts
	// when its Timestamp is strictly after Now - Lookback; like the query,
	// the hunt sets no upper bound, so a Timestamp after Now counts too.
	Now time.Time

	// Lookback is the window; 0 is DefaultLookback.
	Lookback time.Duration

	// MaxPrevalence: a hash qualifies when its GlobalPrevalence is below
	// it; 0 is DefaultMaxPrevalence.
	MaxPrevalence int64

	// MaxGroups is the size guard of KQLParity: more groups than this after
	// the certificate exemption fail Rows with ErrTooManyGroups. 0 is
	// DefaultMaxGroups; a negative value turns the guard off. Default has
	// no guard.
	MaxGroups int

	// Provider answers the FileProfile look-ups; nil is enrich.None.
	Provider enrich.Provider
}

func (o Options) withDefaults() Options {
	if o.Profile == "" {
		o.Profile = rule.Default
	}
	if o.Ranges == nil {
		o.Ranges = config.BundledCloudflare()
	}
	if o.Lookback == 0 {
		o.Lookback = DefaultLookback
	}
	if o.MaxPrevalence == 0 {
		o.MaxPrevalence = DefaultMaxPrevalence
	}
	if o.MaxGroups == 0 {
		o.MaxGroups = DefaultMaxGroups
	}
	if o.Provider == nil {
		o.Provider = enrich.None{}
	}
	return o
}

// Hunt accumulates messages and evaluates the rule over them. Add the
// messages, in any order, then call Rows. A Hunt is not safe for concurrent
// use.
type Hunt struct {
	o    Options
	rule *rule.Rule
	from time.Time // Now - Lookback; a Timestamp must be after it
	dec  mde.Decoder

	onRecord func(*mde.Record)
	onBad    func(*mde.RecordError)

	seen   map[eventKey]struct{} // identities of the events counted
	counts map[groupKey]int64    // events counted, per group of the first summarize
	sha256 map[string]string     // Default: per hash, the least non-empty SHA256
	certs  map[string]struct{}   // hashes with a certificate row in the window

	stats Stats
}

// eventKey is an event's identity: (category, DeviceId, Timestamp,
// ReportId). Only network events are kept, so the category is implied.
type eventKey struct {
	deviceID string
	time     int64 // unix nanoseconds
	reportID string
}

// groupKey is a row of the query's first summarize. Under Default, SHA256
// is always "": the hash is grouped by SHA1 alone.
type groupKey struct {
	DeviceID, DeviceName, FolderPath, FileName, SHA256, SHA1 string
}

// New returns a hunt with options o.
func New(o Options) *Hunt {
	o = o.withDefaults()
	h := &Hunt{
		o:      o,
		rule:   rule.New(o.Profile, o.Ranges),
		from:   o.Now.Add(-o.Lookback),
		seen:   map[eventKey]struct{}{},
		counts: map[groupKey]int64{},
		sha256: map[string]string{},
		certs:  map[string]struct{}{},
		stats:  Stats{Dropped: map[string]int64{}},
	}
	h.onRecord = h.record
	h.onBad = func(*mde.RecordError) { h.stats.BadRecords++ }
	return h
}

// Add decodes one message and takes in its records. A message that cannot
// be decoded at all is counted (Stats.BadMessages) and returned as an
// *mde.MessageError for the caller to report; a record that cannot be
// decoded, or whose Timestamp is unusable, is counted (Stats.BadRecords)
// and skipped. Neither is fatal: the hunt goes on with the next message.
// Add keeps no reference to msg.
func (h *Hunt) Add(msg []byte) error {
	h.stats.Messages++
	if err := h.dec.Decode(msg, h.onRecord, h.onBad); err != nil {
		h.stats.BadMessages++
		return err
	}
	return nil
}

func (h *Hunt) record(r *mde.Record) {
	h.stats.Records++
	switch r.Category {
	case mde.NetworkEvents:
		h.network(r)
	case mde.CertificateInfo:
		h.cert(r)
	default:
		h.stats.Dropped[DropOtherCategory]++
	}
}

// network counts a network event that passes the query's where clause and
// ipv4_lookup (the rule), once per identity.
func (h *Hunt) network(r *mde.Record) {
	h.stats.NetworkEvents++
	_, verdict := h.rule.Check(r)

	// The query keeps a row without a SHA1: it is grouped under the empty
	// hash, counts towards the size guard, and gets no profile. Default
	// skips it, as the service does.
	if verdict != rule.Candidate && !(verdict == rule.NoHash && h.o.Profile == rule.KQLParity) {
		h.stats.Dropped[verdict.String()]++
		return
	}
	t, err := r.Time()
	if err != nil {
		h.stats.BadRecords++
		return
	}
	if !t.After(h.from) {
		h.stats.Dropped[DropTooOld]++
		return
	}

	d := r.Detail()
	id := eventKey{deviceID: d.DeviceID, time: t.UnixNano(), reportID: r.ReportIDString()}
	if _, dup := h.seen[id]; dup {
		h.stats.Dropped[DropDuplicate]++
		return
	}
	h.seen[id] = struct{}{}
	h.stats.Counted++

	g := groupKey{DeviceID: d.DeviceID, DeviceName: d.DeviceName, FolderPath: d.FolderPath,
		FileName: d.FileName, SHA256: d.SHA256, SHA1: h.hashOf(r.ProcessSHA1)}
	if h.o.Profile == rule.Default {
		if s := h.sha256[g.SHA1]; d.SHA256 != "" && (s == "" || d.SHA256 < s) {
			h.sha256[g.SHA1] = d.SHA256
		}
		g.SHA256 = ""
	}
	h.counts[g]++
}

// cert takes in a certificate row: its hash is exempt when the row is in
// the window, whatever the device, whether trusted or not.
func (h *Hunt) cert(r *mde.Record) {
	h.stats.CertificateRows++
	t, err := r.Time()
	if err != nil {
		h.stats.BadRecords++
		return
	}
	if !t.After(h.from) {
		h.stats.Dropped[DropTooOld]++
		return
	}
	if h.o.Profile == rule.Default && !rule.IsSHA1(r.SHA1) {
		h.stats.Dropped[DropCertificateNoHash]++
		return
	}
	h.certs[h.hashOf(r.SHA1)] = struct{}{}
}

// hashOf returns a SHA1 as the profile compares it, copied out of the
// message: exactly as written under KQLParity (the join's ==), lower-cased
// under Default (the service's keys).
func (h *Hunt) hashOf(s string) string {
	if h.o.Profile == rule.Default {
		s = strings.ToLower(s) // s itself when already lower-case
	}
	return strings.Clone(s)
}

// Stats returns what the hunt has taken in so far. The Dropped map is a
// copy.
func (h *Hunt) Stats() Stats {
	s := h.stats
	s.Dropped = make(map[string]int64, len(h.stats.Dropped))
	for k, v := range h.stats.Dropped {
		s.Dropped[k] = v
	}
	return s
}
