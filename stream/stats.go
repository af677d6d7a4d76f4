package stream

import "sync/atomic"

// Stats are the counts at each stage of the rule, kept beside the metrics
// for a replay's report and the demo's summary. Safe for concurrent use.
type Stats struct {
	Records     atomic.Int64 // records decoded, every table
	Network     atomic.Int64 // DeviceNetworkEvents records
	Certs       atomic.Int64 // DeviceFileCertificateInfo records
	Candidates  atomic.Int64 // network events that passed the rule
	Exempted    atomic.Int64 // candidates dropped by a certificate row
	Counted     atomic.Int64 // candidates counted in the state
	Enriched    atomic.Int64 // hashes looked up for a first alert
	Created     atomic.Int64 // create alerts
	Updated     atomic.Int64 // update alerts
	Closed      atomic.Int64 // close alerts
	DeadLetters atomic.Int64
}

// Snapshot is a copy of Stats at one moment.
type Snapshot struct {
	Records, Network, Certs, Candidates, Exempted, Counted int64
	Enriched, Created, Updated, Closed, DeadLetters        int64
}

// Snapshot returns the counts now.
func (s *Stats) Snapshot() Snapshot {
	return Snapshot{
		Records: s.Records.Load(), Network: s.Network.Load(), Certs: s.Certs.Load(),
		Candidates: s.Candidates.Load(), Exempted: s.Exempted.Load(), Counted: s.Counted.Load(),
		Enriched: s.Enriched.Load(), Created: s.Created.Load(), Updated: s.Updated.Load(),
		Closed: s.Closed.Load(), DeadLetters: s.DeadLetters.Load(),
	}
}
