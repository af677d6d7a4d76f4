package config

// Rule configures the detection: which profile, the windows in event time,
// the thresholds and the range list.
type Rule struct {
	// Profile is ProfileDefault or ProfileKQLParity.
	Profile string `yaml:"profile"`
	// Lookback is the sliding window, in event time, over which connections
	// are counted and certificate rows exempt a hash.
	Lookback Duration `yaml:"lookback"`
	// AllowedLateness is how far behind the highest event time seen an event
	// may arrive: the watermark is that highest time less AllowedLateness.
	AllowedLateness Duration `yaml:"allowed_lateness"`
	// CertGrace is how long a newly qualifying hash is held, waiting for a
	// late certificate row, before its first alert.
	CertGrace Duration `yaml:"cert_grace"`
	// DedupWindow is how long an event identity is remembered to drop
	// source duplicates.
	DedupWindow Duration `yaml:"dedup_window"`
	// Bucket is the width of a counter time bucket. It must divide 24h.
	Bucket Duration `yaml:"bucket"`
	// MaxPrevalence is the prevalence threshold: a hash alerts when its
	// GlobalPrevalence is below it.
	MaxPrevalence int64 `yaml:"max_prevalence"`
	// MaxGroups is the kql-parity size guard: more hashes than this after
	// the certificate exemption fails the evaluation, as the query does.
	MaxGroups int `yaml:"max_groups"`
	// MaxListItems caps every list carried in an alert (devices, paths,
	// addresses).
	MaxListItems int `yaml:"max_list_items"`
	// UpdateInterval is the least time between two update alerts for one
	// hash.
	UpdateInterval Duration `yaml:"update_interval"`
	// Ranges chooses the watched address ranges.
	Ranges Ranges `yaml:"ranges"`
}

// The values of Rule.Profile. ProfileKQLParity reproduces the hunting query
// exactly (IPv4 only, account name only, grouping by SHA256 and SHA1, the
// size guard); ProfileDefault is what a detection engineer would run.
const (
	ProfileDefault   = "default"
	ProfileKQLParity = "kql-parity"
)

// Ranges chooses the address ranges the rule watches.
type Ranges struct {
	// File is a range list replacing the bundled Cloudflare list: JSON in
	// Cloudflare's shape or one CIDR a line (see LoadRangesFile). "" uses
	// BundledCloudflare.
	File string `yaml:"file"`
	// RefreshURL, when set, is Cloudflare's JSON API (for example
	// https://api.cloudflare.com/client/v4/ips), polled every
	// RefreshInterval; a list that fails validation is rejected and the
	// last good one kept. "" never refreshes.
	RefreshURL string `yaml:"refresh_url"`
	// RefreshInterval is how often RefreshURL is polled.
	RefreshInterval Duration `yaml:"refresh_interval"`
}

// Load returns the configured range list: the file when one is set,
// otherwise the bundled Cloudflare list.
func (r Ranges) Load() (*RangeSet, error) {
	if r.File == "" {
		return BundledCloudflare(), nil
	}
	return LoadRangesFile(r.File)
}

// LoadRanges returns the range list the rule matches against: Ranges.Load,
// restricted to IPv4 under the kql-parity profile.
func (r Rule) LoadRanges() (*RangeSet, error) {
	set, err := r.Ranges.Load()
	if err != nil {
		return nil, err
	}
	if r.Profile == ProfileKQLParity {
		return set.IPv4Only(), nil
	}
	return set, nil
}
