package sinks

import (
	"fmt"
	"strings"
	"time"
)

// ocsfTitle is the finding title; the file name follows it.
const ocsfTitle = "Unsigned, globally rare binary running as System connected to Cloudflare"

// mitre names the techniques of Techniques: technique, sub-technique,
// tactic. A technique missing here is still reported, by uid alone.
var mitre = map[string]OCSFAttack{
	"T1071.001": {
		Tactic:       &OCSFMitre{UID: "TA0011", Name: "Command and Control"},
		Technique:    OCSFMitre{UID: "T1071", Name: "Application Layer Protocol"},
		SubTechnique: &OCSFMitre{UID: "T1071.001", Name: "Web Protocols"},
	},
	"T1105": {
		Tactic:    &OCSFMitre{UID: "TA0011", Name: "Command and Control"},
		Technique: OCSFMitre{UID: "T1105", Name: "Ingress Tool Transfer"},
	},
	"T1036": {
		Tactic:    &OCSFMitre{UID: "TA0005", Name: "Defense Evasion"},
		Technique: OCSFMitre{UID: "T1036", Name: "Masquerading"},
	},
	"T1218": {
		Tactic:    &OCSFMitre{UID: "TA0005", Name: "Defense Evasion"},
		Technique: OCSFMitre{UID: "T1218", Name: "System Binary Proxy Execution"},
	},
}

// ocsfSeverity maps the alert severity to OCSF severity_id and caption.
var ocsfSeverity = map[string]struct {
	id   int
	name string
}{
	"informational": {1, "Informational"},
	"low":           {2, "Low"},
	"medium":        {3, "Medium"},
	"high":          {4, "High"},
	"critical":      {5, "Critical"},
}

// OCSF projects the alert onto an OCSF 1.3 Detection Finding (class 2004):
//
//   - activity_id 1 Create, 2 Update, 3 Close; type_uid 200400 + activity_id;
//   - finding_info.uid is the alert id, shared by the episode's documents,
//     and metadata.uid is the document's DeliveryKey; metadata.correlation_uid
//     repeats the alert id;
//   - time is emitted_at, start_time and end_time are first_seen and
//     last_seen, count is the alert's Count;
//   - severity_id 3 Medium or 4 High; confidence_id 3 High when a FileProfile
//     answered (every condition of the query held), 2 Medium when the
//     prevalence is unknown;
//   - status_id 1 New while the episode is open, 4 Resolved on close, with
//     the close reason in status_detail;
//   - evidences: one per sampled remote address (dst_endpoint; the port only
//     when a single port was seen) and per sampled URL; the first also holds
//     the process (file name, path, SHA-1 and SHA-256 fingerprints) and the
//     account as actor.user (name, SID as uid);
//   - device is the first device (most connections), resources all of them;
//   - unmapped carries the alert fields OCSF has no attribute for.
func (a *Alert) OCSF() OCSFFinding {
	activityID, activityName := ocsfActivity(a.Activity)
	f := OCSFFinding{
		ActivityID:   activityID,
		ActivityName: activityName,
		CategoryUID:  OCSFCategoryUID,
		CategoryName: "Findings",
		ClassUID:     OCSFClassUID,
		ClassName:    "Detection Finding",
		TypeUID:      OCSFClassUID*100 + activityID,
		TypeName:     "Detection Finding: " + activityName,
		Time:         ms(a.EmittedAt),
		StartTime:    ms(a.FirstSeen),
		EndTime:      ms(a.LastSeen),
		Count:        a.Count,
		Message:      a.title(),
		FindingInfo:  a.findingInfo(),
		Evidences:    a.evidences(),
		Resources:    []OCSFResource{},
		Metadata: OCSFMetadata{
			Version:        OCSFVersion,
			Product:        OCSFProduct{Name: "flarewatch", VendorName: "flarewatch"},
			UID:            DeliveryKey(a),
			CorrelationUID: a.ID,
		},
		Unmapped: a.unmapped(),
	}
	f.SeverityID, f.Severity = 0, "Unknown"
	if s, ok := ocsfSeverity[a.Severity]; ok {
		f.SeverityID, f.Severity = s.id, s.name
	} else if a.Severity != "" {
		f.SeverityID, f.Severity = 99, a.Severity
	}
	f.ConfidenceID, f.Confidence = 3, "High"
	if a.ProfileSource == PrevalenceUnknown || a.GlobalPrevalence == nil {
		f.ConfidenceID, f.Confidence = 2, "Medium"
	}
	f.StatusID, f.Status = 1, "New"
	if a.Activity == ActivityClose {
		f.StatusID, f.Status, f.StatusDetail = 4, "Resolved", a.Reason
	}
	for i, h := range a.Hosts {
		if i == 0 {
			f.Device = &OCSFDevice{UID: h.ID, Name: h.Name, Hostname: h.Name, Type: "Unknown"}
		}
		f.Resources = append(f.Resources, OCSFResource{UID: h.ID, Name: h.Name, Type: "Device",
			Data: OCSFDeviceData{Count: h.Count, FirstSeen: ms(h.FirstSeen), LastSeen: ms(h.LastSeen)}})
	}
	return f
}

// ocsfActivity maps an activity to OCSF's activity_id and caption.
func ocsfActivity(a Activity) (int, string) {
	switch a {
	case ActivityCreate:
		return 1, "Create"
	case ActivityUpdate:
		return 2, "Update"
	case ActivityClose:
		return 3, "Close"
	}
	return 99, string(a)
}

// title is the finding's title: what happened, and the file's name.
func (a *Alert) title() string {
	if len(a.Files) == 0 {
		return ocsfTitle
	}
	return ocsfTitle + ": " + a.Files[0]
}

// findingInfo builds finding_info.
func (a *Alert) findingInfo() OCSFFindingInfo {
	attacks := make([]OCSFAttack, 0, len(a.Techniques))
	for _, t := range a.Techniques {
		at, ok := mitre[t]
		if !ok {
			at = OCSFAttack{Technique: OCSFMitre{UID: t}}
		}
		attacks = append(attacks, at)
	}
	return OCSFFindingInfo{
		UID:   a.ID,
		Title: a.title(),
		Desc:  a.desc(),
		Types: []string{"Unsigned Binary", "Command and Control"},
		Analytic: OCSFAnalytic{UID: a.RuleID, Name: "Unsigned rare System binary to Cloudflare",
			TypeID: 1, Type: "Rule"},
		Attacks:       attacks,
		CreatedTime:   ms(a.EpisodeStart),
		FirstSeenTime: ms(a.FirstSeen),
		LastSeenTime:  ms(a.LastSeen),
		ModifiedTime:  ms(a.EmittedAt),
	}
}

// desc is one sentence a responder reads first.
func (a *Alert) desc() string {
	var b strings.Builder
	name := "A binary"
	if len(a.Files) > 0 {
		name = a.Files[0]
	}
	fmt.Fprintf(&b, "%s (SHA1 %s) ran as %s on %d device(s) and connected %d time(s) to "+
		"Cloudflare addresses; signature %s, global prevalence ", name, a.SHA1,
		orUnknown(a.Account.Name), a.Devices, a.Count, orUnknown(a.SignatureState))
	if a.GlobalPrevalence != nil {
		fmt.Fprintf(&b, "%d.", *a.GlobalPrevalence)
	} else {
		b.WriteString("unknown.")
	}
	return b.String()
}

// evidences builds one entry per remote address and URL. The first entry
// also names the process and the account; the others only what was reached.
func (a *Alert) evidences() []OCSFEvidence {
	port := 0
	if len(a.Network.RemotePorts) == 1 {
		port = a.Network.RemotePorts[0]
	}
	out := make([]OCSFEvidence, 0, len(a.Network.RemoteAddresses)+len(a.Network.RemoteURLs)+1)
	for _, ip := range a.Network.RemoteAddresses {
		out = append(out, OCSFEvidence{DstEndpoint: &OCSFEndpoint{IP: ip, Port: port}})
	}
	for _, u := range a.Network.RemoteURLs {
		out = append(out, OCSFEvidence{URL: &OCSFURL{URLString: u}})
	}
	if len(out) == 0 {
		out = append(out, OCSFEvidence{})
	}
	out[0].Actor = &OCSFActor{User: OCSFUser{Name: a.Account.Name, UID: a.Account.SID}}
	out[0].Process = a.process()
	return out
}

// process is the evidence's process: the first file name and path, and the
// hashes.
func (a *Alert) process() *OCSFProcess {
	p := &OCSFProcess{File: OCSFFile{TypeID: 1, Type: "Regular File"}}
	if len(a.Files) > 0 {
		p.Name, p.File.Name = a.Files[0], a.Files[0]
	}
	if len(a.Folders) > 0 {
		p.File.Path = a.Folders[0]
	}
	p.File.Hashes = []OCSFFingerprint{{AlgorithmID: OCSFAlgorithmSHA1, Algorithm: "SHA-1", Value: a.SHA1}}
	for _, h := range a.SHA256 {
		p.File.Hashes = append(p.File.Hashes,
			OCSFFingerprint{AlgorithmID: OCSFAlgorithmSHA256, Algorithm: "SHA-256", Value: h})
	}
	return p
}

// unmapped copies the fields OCSF has no attribute for.
func (a *Alert) unmapped() OCSFUnmappedInfo {
	return OCSFUnmappedInfo{
		SchemaVersion:    a.SchemaVersion,
		Profile:          a.Profile,
		TenantID:         a.TenantID,
		SHA1:             a.SHA1,
		SHA256:           nonNilStrings(a.SHA256),
		FileNames:        nonNilStrings(a.Files),
		FolderPaths:      nonNilStrings(a.Folders),
		DeviceCount:      a.Devices,
		SignatureState:   a.SignatureState,
		GlobalPrevalence: a.GlobalPrevalence,
		ProfileSource:    a.ProfileSource,
		RemotePorts:      nonNilInts(a.Network.RemotePorts),
		RangesMatched:    nonNilStrings(a.Network.RangesMatched),
		RangeListVersion: a.Network.RangeListVersion,
		Truncated:        a.Truncated,
	}
}

// ms is t in milliseconds since the epoch; the zero time is 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilInts(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}
