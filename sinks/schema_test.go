package sinks

import (
	stdjson "encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

// fixtureAlerts are the alerts the package's tests publish: the golden
// sample and its variants.
func fixtureAlerts() map[string]Alert {
	create := sampleAlert()
	create.Activity, create.Reason, create.Truncated = ActivityCreate, "", false
	create.Severity = "medium"

	update := sampleAlert()
	update.Activity, update.Reason = ActivityUpdate, ""

	unknown := sampleAlert()
	unknown.GlobalPrevalence, unknown.ProfileSource = nil, PrevalenceUnknown
	unknown.SignatureState = "Unknown"

	invalidUTF8 := sampleAlert()
	invalidUTF8.Activity, invalidUTF8.Reason = ActivityCreate, ""
	invalidUTF8.SHA1 = "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3"
	invalidUTF8.ID = AlertID(invalidUTF8.TenantID, invalidUTF8.SHA1, invalidUTF8.EpisodeStart)
	invalidUTF8.Files = []string{"up\xffdater.exe"}
	invalidUTF8.Folders = []string{"c:\\temp\\\xc3"}

	empty := sampleAlert()
	empty.SHA256, empty.Network.RemoteURLs, empty.Network.RemotePorts = []string{}, []string{}, []int{}

	return map[string]Alert{"golden close": sampleAlert(), "create": create, "update": update,
		"unknown prevalence": unknown, "invalid utf-8": invalidUTF8, "empty lists": empty}
}

func TestGoldenAlertValidates(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "alert.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateAlert(b); err != nil {
		t.Fatal(err)
	}
}

func TestFixtureAlertsValidate(t *testing.T) {
	for name, a := range fixtureAlerts() {
		t.Run(name, func(t *testing.T) {
			b, err := Encode(&a, FormFlarewatch)
			if err != nil {
				t.Fatal(err)
			}
			if err := ValidateAlert(b); err != nil {
				t.Errorf("flarewatch form: %v\n%s", err, b)
			}
			o, err := Encode(&a, FormOCSF)
			if err != nil {
				t.Fatal(err)
			}
			if err := ValidateOCSF(o); err != nil {
				t.Errorf("ocsf form: %v\n%s", err, o)
			}
		})
	}
}

// mutate decodes the golden alert, applies f and encodes the result.
func mutate(t *testing.T, doc []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := stdjson.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := stdjson.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBrokenAlertsFail(t *testing.T) {
	a := sampleAlert()
	golden, err := a.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    func(m map[string]any)
	}{
		{"missing id", func(m map[string]any) { delete(m, "id") }},
		{"id not an alert id", func(m map[string]any) { m["id"] = "alert-1" }},
		{"bad activity", func(m map[string]any) { m["activity"] = "reopen" }},
		{"close without reason", func(m map[string]any) { delete(m, "reason") }},
		{"sha1 upper-case", func(m map[string]any) { m["sha1"] = strings.ToUpper(a.SHA1) }},
		{"sha1 short", func(m map[string]any) { m["sha1"] = a.SHA1[:39] }},
		{"sha256 short", func(m map[string]any) { m["sha256"] = []string{"5e5e"} }},
		{"prevalence a string", func(m map[string]any) { m["global_prevalence"] = "12" }},
		{"prevalence a fraction", func(m map[string]any) { m["global_prevalence"] = 1.5 }},
		{"prevalence missing", func(m map[string]any) { delete(m, "global_prevalence") }},
		{"emitted_at not a date-time", func(m map[string]any) { m["emitted_at"] = "2025-01-15 09:41:30" }},
		{"wrong schema version", func(m map[string]any) { m["schema_version"] = "2" }},
		{"devices null", func(m map[string]any) { m["devices"] = nil }},
		{"device without id", func(m map[string]any) {
			delete(m["devices"].([]any)[0].(map[string]any), "id")
		}},
		{"remote address not an ip", func(m map[string]any) {
			m["network"].(map[string]any)["remote_addresses"] = []string{"cdn.example.net"}
		}},
		{"port out of range", func(m map[string]any) {
			m["network"].(map[string]any)["remote_ports"] = []int{70000}
		}},
		{"unknown profile", func(m map[string]any) { m["profile"] = "strict" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateAlert(mutate(t, golden, tt.f))
			if !errors.Is(err, ErrInvalidDocument) {
				t.Fatalf("got %v, want an error wrapping ErrInvalidDocument", err)
			}
			t.Logf("%v", err)
		})
	}

	if err := ValidateAlert([]byte(`{"id":`)); !errors.Is(err, ErrInvalidDocument) {
		t.Errorf("truncated JSON: got %v", err)
	}
	// Fields added later keep the version: consumers ignore what they do not know.
	if err := ValidateAlert(mutate(t, golden, func(m map[string]any) { m["new_field"] = 1 })); err != nil {
		t.Errorf("an added field fails: %v", err)
	}
}

// TestAlertSchemaMatchesStruct checks that the schema names exactly the
// Alert's JSON fields, and requires exactly those that are always written.
func TestAlertSchemaMatchesStruct(t *testing.T) {
	b, err := Schema(AlertSchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Required   []string                  `json:"required"`
		Properties map[string]map[string]any `json:"properties"`
		Defs       map[string]struct {
			Required   []string       `json:"required"`
			Properties map[string]any `json:"properties"`
		} `json:"$defs"`
	}
	if err := stdjson.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	check := func(what string, typ reflect.Type, props []string, required []string) {
		fields, always := jsonFields(typ)
		sort.Strings(props)
		sort.Strings(required)
		if !slices.Equal(fields, props) {
			t.Errorf("%s: schema properties %v, struct fields %v", what, props, fields)
		}
		if !slices.Equal(always, required) {
			t.Errorf("%s: schema requires %v, struct always writes %v", what, required, always)
		}
	}
	check("alert", reflect.TypeFor[Alert](), keys(s.Properties), s.Required)
	dev := s.Defs["device"]
	check("device", reflect.TypeFor[Device](), keys(dev.Properties), dev.Required)
	for name, typ := range map[string]reflect.Type{
		"account": reflect.TypeFor[Account](), "network": reflect.TypeFor[Network](),
	} {
		var sub struct {
			Required   []string       `json:"required"`
			Properties map[string]any `json:"properties"`
		}
		raw, _ := stdjson.Marshal(s.Properties[name])
		if err := stdjson.Unmarshal(raw, &sub); err != nil {
			t.Fatal(err)
		}
		check(name, typ, keys(sub.Properties), sub.Required)
	}
}

// jsonFields returns the JSON names of typ's fields, sorted, and those
// without omitempty.
func jsonFields(typ reflect.Type) (all, always []string) {
	for f := range typ.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || name == "" {
			continue
		}
		all = append(all, name)
		if !strings.Contains(opts, "omitempty") {
			always = append(always, name)
		}
	}
	sort.Strings(all)
	sort.Strings(always)
	return all, always
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
