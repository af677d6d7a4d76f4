package hunt_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/flarewatch/flarewatch/stream/enrich"
	"github.com/flarewatch/flarewatch/stream/hunt"
	"github.com/flarewatch/flarewatch/stream/mde"
	"github.com/flarewatch/flarewatch/stream/rule"
)

// The tests in this file cover the query from the leftanti join on: the
// certificate exemption, the groups, FileProfile, the size guard, the
// expansion and the order.

func TestCertificateExemption(t *testing.T) {
	one := []hunt.Row{rowX(sha2X, 1, 1)}
	const ts = "2024-05-01T09:00:00Z"
	runCases(t, []tcase{
		// Any row, any device, trusted or not.
		{name: "other device, untrusted",
			recs: recs(cert(hashX, ts, props{"DeviceId": "dev-7", "IsTrusted": false}), network(nil))},
		{name: "after the connection", recs: recs(network(nil), cert(hashX, ts, nil))},
		{name: "after now", recs: recs(network(nil), cert(hashX, "2024-06-01T00:00:00Z", nil))},
		{name: "before the window", recs: recs(cert(hashX, "2024-03-01T00:00:00Z", nil), network(nil)),
			kql: one, def: one},
		{name: "another hash", recs: recs(cert(hashY, ts, nil), network(nil)), kql: one, def: one},
		{name: "null Timestamp", recs: recs(cert(hashX, "", props{"Timestamp": nil}), network(nil)),
			kql: one, def: one},
		// The join's == is exact; Default compares hashes in lower case.
		{name: "upper case", recs: recs(cert(strings.ToUpper(hashX), ts, nil), network(nil)),
			kql: one},
	})
}

func TestGroups(t *testing.T) {
	// ev is event n of hash X, changed by over.
	ev := func(n int, over props) map[string]any {
		p := props{"Timestamp": fmt.Sprintf("2024-05-01T10:00:%02dZ", n), "ReportId": n}
		for k, v := range over {
			p[k] = v
		}
		return network(p)
	}
	sha := func(n int, v any) map[string]any { return ev(n, props{"InitiatingProcessSHA256": v}) }
	const path2 = `c:\windows\temp\agent.exe`
	sha2Y := "ff" + sha2X[2:]
	upperX := strings.ToUpper(hashX)
	host2 := props{"DeviceId": "dev-2", "DeviceName": "host-2", "InitiatingProcessFolderPath": path2}
	onHost2 := row(hashX, sha2X, "host-2", path2, fileX, 3, 2)
	onPath2 := row(hashX, sha2X, "host-1", path2, fileX, 2, 1)
	runCases(t, []tcase{
		// kql-parity groups by (SHA256, SHA1): null and absent are both "".
		{name: "SHA256 given, null, absent", recs: recs(sha(1, sha2X), sha(2, nil), sha(3, absent)),
			kql: []hunt.Row{rowX("", 2, 1), rowX(sha2X, 1, 1)},
			def: []hunt.Row{rowX(sha2X, 3, 1)}},
		// The row's SHA256 is read lower-cased (mde.Detail), as Defender
		// writes it anyway.
		{name: "SHA256 in upper case", recs: recs(sha(1, strings.ToUpper(sha2X)), sha(2, sha2X)),
			kql: []hunt.Row{rowX(sha2X, 2, 1)}, def: []hunt.Row{rowX(sha2X, 2, 1)}},
		// Default keeps the least non-empty SHA256 of a hash.
		{name: "two SHA256", recs: recs(sha(1, sha2Y), sha(2, sha2X)),
			kql: []hunt.Row{rowX(sha2X, 1, 1), rowX(sha2Y, 1, 1)},
			def: []hunt.Row{rowX(sha2X, 2, 1)}},
		// One row per first-summarize row, each with the group's totals.
		{name: "two devices", recs: recs(ev(1, nil), ev(2, nil), ev(3, host2)),
			kql: []hunt.Row{rowX(sha2X, 3, 2), onHost2},
			def: []hunt.Row{rowX(sha2X, 3, 2), onHost2}},
		{name: "one device, two paths",
			recs: recs(ev(1, nil), ev(2, props{"InitiatingProcessFolderPath": path2})),
			kql:  []hunt.Row{rowX(sha2X, 2, 1), onPath2},
			def:  []hunt.Row{rowX(sha2X, 2, 1), onPath2}},
		// A device renamed, or two devices of one name: make_list keeps both.
		{name: "two DeviceIds, one name", recs: recs(ev(1, nil), ev(2, props{"DeviceId": "dev-2"})),
			kql: []hunt.Row{rowX(sha2X, 2, 2), rowX(sha2X, 2, 2)},
			def: []hunt.Row{rowX(sha2X, 2, 2), rowX(sha2X, 2, 2)}},
		// The first summarize compares SHA1 exactly; Default lower-cases.
		{name: "SHA1 in upper case",
			recs: recs(ev(1, nil), ev(2, props{"InitiatingProcessSHA1": upperX})),
			kql:  []hunt.Row{row(upperX, sha2X, "host-1", pathX, fileX, 1, 1), rowX(sha2X, 1, 1)},
			def:  []hunt.Row{rowX(sha2X, 2, 1)}},
	})
}

func TestFileProfile(t *testing.T) {
	profile := func(state string, prevalence int64) enrich.Provider {
		return enrich.NewStatic(map[string]enrich.Profile{
			hashX: {SignatureState: state, GlobalPrevalence: prevalence}})
	}
	withPrevalence := func(n int64) []hunt.Row {
		r := rowX(sha2X, 1, 1)
		r.GlobalPrevalence = &n
		return []hunt.Row{r}
	}
	runCases(t, []tcase{
		// No profile row: no result row, but Default alerts on the unknown.
		{name: "no profile", opts: hunt.Options{Provider: unsigned12(hashY)}, recs: recs(network(nil)),
			def: []hunt.Row{unknown(rowX(sha2X, 1, 1))}},
		{name: "provider none", opts: hunt.Options{Provider: enrich.None{}}, recs: recs(network(nil)),
			def: []hunt.Row{unknown(rowX(sha2X, 1, 1))}},
		{name: "signed", opts: hunt.Options{Provider: profile("SignedValid", 12)},
			recs: recs(network(nil))},
		{name: "unsigned, lower case", opts: hunt.Options{Provider: profile("unsigned", 12)},
			recs: recs(network(nil))},
		{name: "prevalence 49999", opts: hunt.Options{Provider: profile("Unsigned", 49999)},
			recs: recs(network(nil)), kql: withPrevalence(49999), def: withPrevalence(49999)},
		{name: "prevalence 50000", opts: hunt.Options{Provider: profile("Unsigned", 50000)},
			recs: recs(network(nil))},
		{name: "threshold 12", opts: hunt.Options{MaxPrevalence: 12}, recs: recs(network(nil))},
		{name: "threshold 13", opts: hunt.Options{MaxPrevalence: 13}, recs: recs(network(nil)),
			kql: []hunt.Row{rowX(sha2X, 1, 1)}, def: []hunt.Row{rowX(sha2X, 1, 1)}},
	})
}

// hashes returns n network events, each with a hash of its own.
func hashes(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = network(props{"InitiatingProcessSHA1": fmt.Sprintf("%040x", i+1), "ReportId": i})
	}
	return out
}

func TestSizeGuard(t *testing.T) {
	noSHA256 := network(props{"InitiatingProcessSHA256": nil, "ReportId": 2})
	noSHA1 := network(props{"InitiatingProcessSHA1": nil, "ReportId": 2})
	tests := []struct {
		name string
		opts hunt.Options
		recs []map[string]any
		fail bool // under kql-parity; Default has no guard
	}{
		{"1001 groups", hunt.Options{Provider: enrich.None{}}, hashes(1001), true},
		{"1000 groups", hunt.Options{Provider: enrich.None{}}, hashes(1000), false},
		{"3 groups, MaxGroups 2", hunt.Options{MaxGroups: 2}, hashes(3), true},
		{"MaxGroups negative", hunt.Options{MaxGroups: -1}, hashes(1001), false},
		// The guard counts after the exemption and before FileProfile.
		{"one exempt", hunt.Options{MaxGroups: 2},
			append(hashes(3), cert(fmt.Sprintf("%040x", 2), "2024-05-01T00:00:00Z", nil)), false},
		{"without profiles", hunt.Options{MaxGroups: 2, Provider: enrich.None{}}, hashes(3), true},
		// Groups are (SHA256, SHA1) pairs, the empty SHA1 included.
		{"one hash, two SHA256", hunt.Options{MaxGroups: 1}, recs(network(nil), noSHA256), true},
		{"no SHA1", hunt.Options{MaxGroups: 1}, recs(network(nil), noSHA1), true},
	}
	for _, tt := range tests {
		for _, p := range bothProfiles {
			t.Run(tt.name+"/"+string(p), func(t *testing.T) {
				o := tt.opts
				o.Profile = p
				_, _, err := run(t, o, envelope(t, tt.recs...))
				switch want := tt.fail && p == rule.KQLParity; {
				case want && !isTooMany(err):
					t.Fatalf("got %v, want ErrTooManyGroups", err)
				case !want && err != nil:
					t.Fatal(err)
				}
			})
		}
	}
}

// Events without a usable SHA1: the query groups them under "" and
// FileProfile knows nothing of "", so they make no row; Default skips and
// counts them.
func TestMissingHash(t *testing.T) {
	events := recs(
		network(props{"InitiatingProcessSHA1": "", "ReportId": 1}),
		network(props{"InitiatingProcessSHA1": nil, "ReportId": 2}),
		network(props{"InitiatingProcessSHA1": absent, "ReportId": 3}),
		network(props{"InitiatingProcessSHA1": "a1a1", "ReportId": 4}),
		cert("", "2024-05-01T00:00:00Z", nil),
	)
	for _, p := range bothProfiles {
		t.Run(string(p), func(t *testing.T) {
			rows, st, err := run(t, hunt.Options{Profile: p, Provider: unsigned12("a1a1")},
				each(t, events...)...)
			if err != nil {
				t.Fatal(err)
			}
			if p == rule.KQLParity {
				// "a1a1" is a string like any other to the query.
				checkRows(t, rows, []hunt.Row{row("a1a1", sha2X, "host-1", pathX, fileX, 1, 1)})
				if st.Counted != 4 {
					t.Errorf("counted %d, want 4", st.Counted)
				}
				return
			}
			checkRows(t, rows, nil)
			if st.Counted != 0 || st.Dropped["no_hash"] != 3 || st.Dropped["bad_hash"] != 1 ||
				st.Dropped[hunt.DropCertificateNoHash] != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestOrder(t *testing.T) {
	ev := func(sha1, dev, path string, report int) map[string]any {
		return network(props{"InitiatingProcessSHA1": sha1, "DeviceId": dev, "DeviceName": dev,
			"InitiatingProcessFolderPath": path, "ReportId": report})
	}
	events := recs(
		ev(hashX, "b", `c:\x`, 1),
		ev(hashZ, "b", `c:\z`, 2), ev(hashZ, "a", `c:\z`, 3), ev(hashZ, "a", `c:\y`, 4),
		ev(hashY, "c", `c:\y`, 5), ev(hashY, "a", `c:\y`, 6), ev(hashY, "a", `c:\y`, 7),
	)
	want := []hunt.Row{
		row(hashY, sha2X, "a", `c:\y`, fileX, 3, 2), row(hashY, sha2X, "c", `c:\y`, fileX, 3, 2),
		row(hashZ, sha2X, "a", `c:\y`, fileX, 3, 2), row(hashZ, sha2X, "a", `c:\z`, fileX, 3, 2),
		row(hashZ, sha2X, "b", `c:\z`, fileX, 3, 2),
		row(hashX, sha2X, "b", `c:\x`, fileX, 1, 1),
	}
	runCases(t, []tcase{{name: "count, then hash, device, path", recs: events, kql: want, def: want}})
}

func TestUndecodable(t *testing.T) {
	h := hunt.New(hunt.Options{Profile: rule.KQLParity, Now: now, Provider: unsigned12(hashX)})
	var me *mde.MessageError
	if err := h.Add([]byte(`{"records":[`)); !errors.As(err, &me) {
		t.Errorf("truncated message: got %v, want an *mde.MessageError", err)
	}
	if err := h.Add([]byte(`[1,2]`)); err == nil {
		t.Error("an array was accepted")
	}
	msg := envelope(t,
		network(props{"Timestamp": nil, "ReportId": 1}),
		network(props{"Timestamp": "05/12/2024 6:41:32 PM", "ReportId": 2}),
		network(props{"ReportId": 3}),
		record("AdvancedHunting-DeviceProcessEvents", props{"Timestamp": "2024-05-01T10:00:00Z"}, nil),
		cert(hashY, "yesterday", nil),
		network(props{"DeviceId": 17, "ReportId": 4}),
	)
	if err := h.Add(msg); err != nil {
		t.Fatal(err)
	}
	rows, err := h.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, rows, []hunt.Row{rowX(sha2X, 1, 1)})
	st := h.Stats()
	want := hunt.Stats{Messages: 3, BadMessages: 2, Records: 5, BadRecords: 4, NetworkEvents: 3,
		CertificateRows: 1, Counted: 1}
	st.Dropped = nil
	if fmt.Sprintf("%+v", st) != fmt.Sprintf("%+v", want) {
		t.Errorf("stats\n got %+v\nwant %+v", st, want)
	}
}

// errProvider fails every look-up.
type errProvider struct{ err error }

func (errProvider) Name() string { return "broken" }
func (p errProvider) Lookup(context.Context, []string) (map[string]enrich.Profile, error) {
	return nil, p.err
}

func TestProviderError(t *testing.T) {
	cause := errors.New("429 too many requests")
	for _, p := range bothProfiles {
		o := hunt.Options{Profile: p, Provider: errProvider{cause}}
		_, _, err := run(t, o, envelope(t, network(nil)))
		if !errors.Is(err, cause) {
			t.Errorf("%s: got %v, want the provider's error", p, err)
		}
	}
}

// countingProvider records the batches it is asked for.
type countingProvider struct{ batches []int }

func (*countingProvider) Name() string { return "counting" }
func (c *countingProvider) Lookup(_ context.Context, h []string) (
	map[string]enrich.Profile, error) {
	c.batches = append(c.batches, len(h))
	return nil, nil
}

// FileProfile takes at most 1000 hashes at once; a hash is asked for once,
// however many groups it has.
func TestLookupBatches(t *testing.T) {
	c := &countingProvider{}
	again := network(props{"InitiatingProcessSHA1": fmt.Sprintf("%040x", 1),
		"InitiatingProcessSHA256": nil, "ReportId": 9999})
	o := hunt.Options{Profile: rule.KQLParity, MaxGroups: -1, Provider: c}
	if _, _, err := run(t, o, envelope(t, append(hashes(2500), again)...)); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(c.batches) != "[1000 1000 500]" {
		t.Errorf("batches %v, want [1000 1000 500]", c.batches)
	}
}

// A hunt keeps nothing that points into a message: the caller may reuse
// the buffer.
func TestAddKeepsNoReference(t *testing.T) {
	for _, p := range bothProfiles {
		h := hunt.New(hunt.Options{Profile: p, Now: now, Provider: unsigned12(hashX)})
		msg := envelope(t, network(nil), cert(hashY, "2024-05-01T00:00:00Z", nil))
		if err := h.Add(msg); err != nil {
			t.Fatal(err)
		}
		for i := range msg {
			msg[i] = 'x'
		}
		rows, err := h.Rows(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		checkRows(t, rows, []hunt.Row{rowX(sha2X, 1, 1)})
	}
}
