package sinks

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/segmentio/encoding/json"
)

// checkGolden compares got, indented, with testdata/name, rewriting the file
// under -update.
func checkGolden(t *testing.T, name string, compact []byte) {
	t.Helper()
	var indented bytes.Buffer
	if err := json.Indent(&indented, compact, "", "  "); err != nil {
		t.Fatalf("indent: %v", err)
	}
	indented.WriteByte('\n')
	golden := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(golden, indented.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if !bytes.Equal(indented.Bytes(), want) {
		t.Errorf("%s differs (run with -update to accept):\ngot:\n%s", golden, indented.Bytes())
	}
}

// TestOCSFGolden pins the OCSF form of the golden alert; the file is the
// sample in docs/alerts.md.
func TestOCSFGolden(t *testing.T) {
	a := sampleAlert()
	b, err := Encode(&a, FormOCSF)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "ocsf.golden.json", b)
	if err := ValidateOCSF(b); err != nil {
		t.Error(err)
	}
}

func TestOCSFMapping(t *testing.T) {
	tests := []struct {
		activity             Activity
		severity             string
		activityID, typeUID  int
		severityID, statusID int
		status, statusDetail string
		unknownPrevalence    bool
		confidenceID         int
	}{
		{ActivityCreate, "medium", 1, 200401, 3, 1, "New", "", true, 2},
		{ActivityUpdate, "high", 2, 200402, 4, 1, "New", "", false, 3},
		{ActivityClose, "high", 3, 200403, 4, 4, "Resolved", ReasonSigned, false, 3},
	}
	for _, tt := range tests {
		t.Run(string(tt.activity), func(t *testing.T) {
			a := sampleAlert()
			a.Activity, a.Severity = tt.activity, tt.severity
			if tt.activity != ActivityClose {
				a.Reason = ""
			}
			if tt.unknownPrevalence {
				a.GlobalPrevalence, a.ProfileSource = nil, PrevalenceUnknown
			}
			f := a.OCSF()
			if f.ClassUID != 2004 || f.CategoryUID != 2 || f.ActivityID != tt.activityID ||
				f.TypeUID != tt.typeUID {
				t.Errorf("class %d category %d activity %d type %d", f.ClassUID, f.CategoryUID,
					f.ActivityID, f.TypeUID)
			}
			if f.SeverityID != tt.severityID || f.StatusID != tt.statusID || f.Status != tt.status ||
				f.StatusDetail != tt.statusDetail || f.ConfidenceID != tt.confidenceID {
				t.Errorf("severity %d status %d %q %q confidence %d", f.SeverityID, f.StatusID,
					f.Status, f.StatusDetail, f.ConfidenceID)
			}
			if f.FindingInfo.UID != a.ID || f.Metadata.CorrelationUID != a.ID ||
				f.Metadata.UID != DeliveryKey(&a) {
				t.Errorf("finding uid %q, metadata uid %q, correlation %q", f.FindingInfo.UID,
					f.Metadata.UID, f.Metadata.CorrelationUID)
			}
			if f.Metadata.Version != "1.3.0" || f.Metadata.Product.Name != "flarewatch" ||
				f.Metadata.Product.VendorName != "flarewatch" {
				t.Errorf("metadata %+v", f.Metadata)
			}
			if f.Time != a.EmittedAt.UnixMilli() || f.StartTime != a.FirstSeen.UnixMilli() ||
				f.EndTime != a.LastSeen.UnixMilli() || f.Count != a.Count {
				t.Errorf("time %d start %d end %d count %d", f.Time, f.StartTime, f.EndTime, f.Count)
			}
		})
	}
}

func TestOCSFObjects(t *testing.T) {
	a := sampleAlert()
	f := a.OCSF()

	// Every technique with its tactic; T1071.001 as a sub-technique.
	if len(f.FindingInfo.Attacks) != len(Techniques) {
		t.Fatalf("%d attacks, want %d", len(f.FindingInfo.Attacks), len(Techniques))
	}
	web := f.FindingInfo.Attacks[0]
	if web.Technique.UID != "T1071" || web.SubTechnique == nil || web.SubTechnique.UID != "T1071.001" ||
		web.Tactic == nil || web.Tactic.UID != "TA0011" {
		t.Errorf("T1071.001 maps to %+v", web)
	}
	for _, at := range f.FindingInfo.Attacks {
		if at.Tactic == nil || at.Technique.Name == "" {
			t.Errorf("attack %+v lacks a tactic or a name", at)
		}
	}

	// One evidence per address and URL, the first with the process and account.
	if want := len(a.Network.RemoteAddresses) + len(a.Network.RemoteURLs); len(f.Evidences) != want {
		t.Fatalf("%d evidences, want %d", len(f.Evidences), want)
	}
	ev := f.Evidences[0]
	if ev.DstEndpoint == nil || ev.DstEndpoint.IP != a.Network.RemoteAddresses[0] || ev.DstEndpoint.Port != 0 {
		t.Errorf("first evidence endpoint %+v (two ports were seen: no port)", ev.DstEndpoint)
	}
	if ev.Actor == nil || ev.Actor.User.Name != "system" || ev.Actor.User.UID != "S-1-5-18" {
		t.Errorf("actor %+v", ev.Actor)
	}
	file := ev.Process.File
	if file.Name != "updater.exe" || file.Path != a.Folders[0] || len(file.Hashes) != 2 ||
		file.Hashes[0] != (OCSFFingerprint{2, "SHA-1", a.SHA1}) ||
		file.Hashes[1] != (OCSFFingerprint{3, "SHA-256", a.SHA256[0]}) {
		t.Errorf("process file %+v", file)
	}
	if u := f.Evidences[len(f.Evidences)-1].URL; u == nil || u.URLString != a.Network.RemoteURLs[0] {
		t.Errorf("last evidence url %+v", u)
	}

	// One port: each endpoint carries it.
	a.Network.RemotePorts = []int{443}
	if p := a.OCSF().Evidences[0].DstEndpoint.Port; p != 443 {
		t.Errorf("single port: endpoint port %d", p)
	}

	// The first device as device, all as resources.
	if f.Device == nil || f.Device.UID != a.Hosts[0].ID || f.Device.Hostname != a.Hosts[0].Name {
		t.Errorf("device %+v", f.Device)
	}
	if len(f.Resources) != len(a.Hosts) || f.Resources[1].UID != a.Hosts[1].ID ||
		f.Resources[1].Data.Count != a.Hosts[1].Count {
		t.Errorf("resources %+v", f.Resources)
	}

	// No devices and no network samples still make a valid finding.
	a.Hosts, a.Network = nil, Network{}
	b, err := Encode(&a, FormOCSF)
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateOCSF(b); err != nil {
		t.Errorf("bare alert: %v\n%s", err, b)
	}
}

func TestBrokenOCSFFails(t *testing.T) {
	a := sampleAlert()
	golden, err := Encode(&a, FormOCSF)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    func(m map[string]any)
	}{
		{"wrong class", func(m map[string]any) { m["class_uid"] = 2001 }},
		{"type_uid not class*100+activity", func(m map[string]any) { m["type_uid"] = 200401 }},
		{"missing finding uid", func(m map[string]any) {
			delete(m["finding_info"].(map[string]any), "uid")
		}},
		{"missing metadata product", func(m map[string]any) {
			delete(m["metadata"].(map[string]any), "product")
		}},
		{"wrong ocsf version", func(m map[string]any) {
			m["metadata"].(map[string]any)["version"] = "1.0.0"
		}},
		{"bad severity", func(m map[string]any) { m["severity_id"] = 7 }},
		{"time as a string", func(m map[string]any) { m["time"] = "2025-01-15T09:41:30Z" }},
		{"sha1 fingerprint upper-case", func(m map[string]any) {
			ev := m["evidences"].([]any)[0].(map[string]any)
			h := ev["process"].(map[string]any)["file"].(map[string]any)["hashes"].([]any)[0].(map[string]any)
			h["value"] = "A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1"
		}},
		{"device without type_id", func(m map[string]any) {
			delete(m["device"].(map[string]any), "type_id")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateOCSF(mutate(t, golden, tt.f))
			if !errors.Is(err, ErrInvalidDocument) {
				t.Fatalf("got %v, want an error wrapping ErrInvalidDocument", err)
			}
		})
	}
}

func TestEncodeForms(t *testing.T) {
	a := sampleAlert()
	plain, err := Encode(&a, "")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := a.AppendJSON(nil)
	if !bytes.Equal(plain, want) {
		t.Error("the zero Form is not the flarewatch form")
	}
	if _, err := Encode(&a, "cef"); err == nil {
		t.Error("an unknown form encodes")
	}
	for _, s := range []string{"", "flarewatch", "ocsf"} {
		if _, err := ParseForm(s); err != nil {
			t.Errorf("ParseForm(%q): %v", s, err)
		}
	}
	if _, err := ParseForm("OCSF"); err == nil {
		t.Error("ParseForm is case-insensitive")
	}
}

func TestDeliveryKey(t *testing.T) {
	a := sampleAlert()
	if got := DeliveryKey(&a); got != a.ID+":close" {
		t.Errorf("close key %q", got)
	}
	a.Activity = ActivityUpdate
	first := DeliveryKey(&a)
	if first != a.ID+":update:2025-01-15T09:41:12.5Z" {
		t.Errorf("update key %q", first)
	}
	a.LastSeen = a.LastSeen.Add(time.Minute)
	if DeliveryKey(&a) == first {
		t.Error("two updates of one episode share a key")
	}
}
