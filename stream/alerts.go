package stream

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flarewatch/flarewatch/sinks"
	"github.com/flarewatch/flarewatch/state"
	"github.com/flarewatch/flarewatch/stream/enrich"
)

// alertFor builds the alert of activity for a hash from its state. ok is
// false when the hash has no episode an alert can speak of.
func (p *Pipeline) alertFor(ctx context.Context, now time.Time, ref hashRef, activity sinks.Activity) (sinks.Alert, bool, error) {
	sum, err := p.Store.Summary(ctx, now, ref.tenant, ref.sha1)
	if err != nil {
		return sinks.Alert{}, false, err
	}
	if sum.Start.IsZero() {
		return sinks.Alert{}, false, nil
	}
	profiles, err := p.Profiles.Lookup(ctx, []string{ref.sha1})
	if err != nil {
		return sinks.Alert{}, false, err
	}
	return p.buildAlert(ref, &sum, profiles[ref.sha1], activity), true, nil
}

// buildAlert turns a summary into an alert document.
func (p *Pipeline) buildAlert(ref hashRef, sum *state.Summary, prof enrich.Profile, activity sinks.Activity) sinks.Alert {
	limit := p.opt.MaxListItems
	a := sinks.Alert{
		SchemaVersion: sinks.SchemaVersion,
		ID:            sinks.AlertID(ref.tenant, ref.sha1, sum.Start),
		Activity:      activity,
		RuleID:        sinks.RuleID,
		Profile:       string(p.Rule.Profile()),
		TenantID:      ref.tenant,
		EmittedAt:     time.Now().UTC(),
		EpisodeStart:  sum.Start,
		SHA1:          ref.sha1,
		Count:         sum.Count(),
		Techniques:    sinks.Techniques,
	}
	if a.TenantID == "" {
		a.TenantID = first(sum.Samples[state.SampleTenant])
	}
	var sha256s, files, folders []string
	hosts := map[string]*sinks.Device{}
	for g, n := range sum.Groups {
		sha256s = appendSet(sha256s, g.SHA256)
		files = appendSet(files, g.FileName)
		folders = appendSet(folders, g.FolderPath)
		h := hosts[g.DeviceID]
		if h == nil {
			h = &sinks.Device{ID: g.DeviceID, Name: g.DeviceName,
				FirstSeen: sum.FirstSeen[g.DeviceID], LastSeen: sum.LastSeen[g.DeviceID]}
			hosts[g.DeviceID] = h
		}
		h.Count += n
	}
	a.Devices = len(hosts)
	a.Hosts = make([]sinks.Device, 0, len(hosts))
	for _, h := range hosts {
		a.Hosts = append(a.Hosts, *h)
		if a.FirstSeen.IsZero() || h.FirstSeen.Before(a.FirstSeen) {
			a.FirstSeen = h.FirstSeen
		}
		if h.LastSeen.After(a.LastSeen) {
			a.LastSeen = h.LastSeen
		}
	}
	sort.Slice(a.Hosts, func(i, j int) bool {
		if a.Hosts[i].Count != a.Hosts[j].Count {
			return a.Hosts[i].Count > a.Hosts[j].Count
		}
		return a.Hosts[i].ID < a.Hosts[j].ID
	})
	a.Hosts, a.Truncated = capList(a.Hosts, limit)
	var t1, t2, t3 bool
	a.SHA256, t1 = capList(sorted(sha256s), limit)
	a.Files, t2 = capList(sorted(files), limit)
	a.Folders, t3 = capList(sorted(folders), limit)
	a.Truncated = a.Truncated || t1 || t2 || t3
	if acct := first(sum.Samples[state.SampleAccount]); acct != "" {
		name, sid, _ := strings.Cut(acct, state.SampleSep)
		a.Account = sinks.Account{Name: name, SID: sid}
	}
	a.Network = sinks.Network{
		RemoteAddresses:  nonNil(sum.Samples[state.SampleAddress]),
		RemotePorts:      ports(sum.Samples[state.SamplePort]),
		RemoteURLs:       nonNil(sum.Samples[state.SampleURL]),
		RangesMatched:    nonNil(sum.Samples[state.SampleRange]),
		RangeListVersion: p.Rule.Ranges().Version,
	}
	p.enrichAlert(&a, prof)
	return a
}

// enrichAlert fills the profile fields and the severity.
func (p *Pipeline) enrichAlert(a *sinks.Alert, prof enrich.Profile) {
	a.SignatureState, a.ProfileSource, a.Severity = "Unknown", sinks.PrevalenceUnknown, "medium"
	if !prof.Known {
		return
	}
	prev := prof.GlobalPrevalence
	a.SignatureState, a.GlobalPrevalence, a.ProfileSource = prof.SignatureState, &prev, prof.Source
	if prev < 100 {
		a.Severity = "high"
	}
}

func first(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[0]
}

func appendSet(list []string, s string) []string {
	if s == "" {
		return list
	}
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func sorted(list []string) []string {
	sort.Strings(list)
	return nonNil(list)
}

func nonNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

func capList[T any](list []T, limit int) ([]T, bool) {
	if limit > 0 && len(list) > limit {
		return list[:limit], true
	}
	return list, false
}

func ports(list []string) []int {
	out := []int{}
	for _, s := range list {
		if n, err := strconv.Atoi(s); err == nil {
			out = append(out, n)
		}
	}
	sort.Ints(out)
	return out
}
