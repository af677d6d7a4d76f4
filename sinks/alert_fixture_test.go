package sinks

import "time"

// sampleAlert returns an alert with every field set, the one the golden file
// and the README show.
func sampleAlert() Alert {
	first := time.Date(2025, 1, 15, 8, 0, 5, 123456700, time.UTC)
	last := time.Date(2025, 1, 15, 9, 41, 12, 500000000, time.UTC)
	start := first
	prevalence := int64(12)
	sha1 := "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
	tenant := "00000000-0000-0000-0000-000000000000"
	return Alert{
		SchemaVersion: SchemaVersion,
		ID:            AlertID(tenant, sha1, start),
		Activity:      ActivityClose,
		Reason:        ReasonSigned,
		RuleID:        RuleID,
		Profile:       "default",
		Severity:      "high",
		TenantID:      tenant,
		EmittedAt:     time.Date(2025, 1, 15, 9, 41, 30, 0, time.UTC),
		EpisodeStart:  start,
		FirstSeen:     first,
		LastSeen:      last,
		SHA1:          sha1,
		SHA256:        []string{"5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e"},
		Files:         []string{"updater.exe"},
		Folders:       []string{`c:\programdata\updater\updater.exe`},
		Count:         7,
		Devices:       2,
		Hosts: []Device{
			{ID: "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a101", Name: "host-01.example.local",
				Count: 5, FirstSeen: first, LastSeen: last.Add(-time.Hour)},
			{ID: "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a102", Name: "host-02.example.local",
				Count: 2, FirstSeen: last.Add(-time.Minute), LastSeen: last},
		},
		Account:          Account{Name: "system", SID: "S-1-5-18"},
		Truncated:        true,
		SignatureState:   "Unsigned",
		GlobalPrevalence: &prevalence,
		ProfileSource:    "file",
		Network: Network{
			RemoteAddresses:  []string{"104.21.48.1", "2606:4700::6810:507"},
			RemotePorts:      []int{443, 8443},
			RemoteURLs:       []string{"https://cdn.example.net/u?a=1&b=<2>"},
			RangesMatched:    []string{"104.16.0.0/13", "2606:4700::/32"},
			RangeListVersion: "2025-01-01",
		},
		Techniques: Techniques,
	}
}
