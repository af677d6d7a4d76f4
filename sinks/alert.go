// Package sinks holds the alert schema, its OCSF form, and every output
// flarewatch writes to: the Kafka alert topic, stdout or a file, a webhook,
// Splunk HEC, Microsoft Sentinel, and the dead-letter topic.
package sinks

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// SchemaVersion is the version of the Alert document. It changes only when a
// field is removed or changes meaning; new fields keep the version.
const SchemaVersion = "1"

// RuleID names the detection in every alert and is part of every alert id.
const RuleID = "flarewatch.unsigned-system-cloudflare"

// Activity is what an alert says about its episode.
type Activity string

// The activities of an alert episode.
const (
	ActivityCreate Activity = "create" // the hash qualified and outlived the grace period
	ActivityUpdate Activity = "update" // a new device joined an open episode
	ActivityClose  Activity = "close"  // the episode ended; Reason says why
)

// Close reasons.
const (
	ReasonSigned = "signed" // a certificate row for the hash arrived after the alert
)

// Prevalence sources: where SignatureState and GlobalPrevalence came from.
const (
	PrevalenceUnknown = "unknown" // no provider answer; GlobalPrevalence is nil
)

// Techniques are the MITRE ATT&CK techniques the detection points at:
// web-protocol C2, ingress tool transfer, masquerading, signed-binary proxy execution.
var Techniques = []string{"T1071.001", "T1105", "T1036", "T1218"}

// Alert is one alert document, published as JSON keyed by SHA1.
type Alert struct {
	SchemaVersion string    `json:"schema_version"`
	ID            string    `json:"id"`
	Activity      Activity  `json:"activity"`
	Reason        string    `json:"reason,omitempty"`
	RuleID        string    `json:"rule_id"`
	Profile       string    `json:"profile"`
	Severity      string    `json:"severity"`
	TenantID      string    `json:"tenant_id"`
	EmittedAt     time.Time `json:"emitted_at"`
	EpisodeStart  time.Time `json:"episode_start"`
	FirstSeen     time.Time `json:"first_seen"`
	LastSeen      time.Time `json:"last_seen"`

	SHA1      string   `json:"sha1"`
	SHA256    []string `json:"sha256"`
	Files     []string `json:"file_names"`
	Folders   []string `json:"folder_paths"`
	Count     int64    `json:"count"`
	Devices   int      `json:"device_count"`
	Hosts     []Device `json:"devices"`
	Account   Account  `json:"account"`
	Truncated bool     `json:"truncated,omitempty"`

	SignatureState   string `json:"signature_state"`
	GlobalPrevalence *int64 `json:"global_prevalence"`
	ProfileSource    string `json:"profile_source"`

	Network    Network  `json:"network"`
	Techniques []string `json:"mitre_techniques"`
}

// Device is one device on which the hash connected out.
type Device struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Count     int64     `json:"count"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// Account is the account the process ran as.
type Account struct {
	Name string `json:"name"`
	SID  string `json:"sid"`
}

// Network holds samples of the connections that matched.
type Network struct {
	RemoteAddresses  []string `json:"remote_addresses"`
	RemotePorts      []int    `json:"remote_ports"`
	RemoteURLs       []string `json:"remote_urls"`
	RangesMatched    []string `json:"ranges_matched"`
	RangeListVersion string   `json:"range_list_version"`
}

// AlertID returns the deterministic id of an episode's alerts: the same rule,
// tenant, hash and episode start always give the same id, so that a consumer
// can drop a repeat and a replay reproduces the ids of a live run.
func AlertID(tenant, sha1 string, episodeStart time.Time) string {
	h := sha256.New()
	h.Write([]byte(RuleID))
	h.Write([]byte{0})
	h.Write([]byte(tenant))
	h.Write([]byte{0})
	h.Write([]byte(sha1))
	h.Write([]byte{0})
	h.Write([]byte(strconv.FormatInt(episodeStart.UnixNano(), 10)))
	return "fw-" + hex.EncodeToString(h.Sum(nil)[:16])
}
