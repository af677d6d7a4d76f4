package hunt_test

import (
	"testing"
	"time"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/stream/hunt"
)

// The tests in this file cover the query's where clause and ipv4_lookup,
// and the count of each event once.

func TestWindow(t *testing.T) {
	one := []hunt.Row{rowX(sha2X, 1, 1)}
	at := func(ts string) map[string]any { return network(props{"Timestamp": ts}) }
	runCases(t, []tcase{
		// Timestamp > now - 30d, strictly.
		{name: "at the start", recs: recs(at("2024-04-02T00:00:00Z"))},
		{name: "100ns after the start", recs: recs(at("2024-04-02T00:00:00.0000001Z")),
			kql: one, def: one},
		// The query has no upper bound.
		{name: "after now", recs: recs(at("2024-06-01T00:00:00Z")), kql: one, def: one},
		{name: "lookback 1h, at the start", opts: hunt.Options{Lookback: time.Hour},
			recs: recs(at("2024-05-01T23:00:00Z"))},
		{name: "lookback 1h, inside", opts: hunt.Options{Lookback: time.Hour},
			recs: recs(at("2024-05-01T23:00:00.0000001Z")), kql: one, def: one},
		// Certificate rows are bounded the same way.
		{name: "certificate at the start",
			recs: recs(cert(hashX, "2024-04-02T00:00:00Z", nil), network(nil)), kql: one, def: one},
		{name: "certificate 100ns after the start",
			recs: recs(cert(hashX, "2024-04-02T00:00:00.0000001Z", nil), network(nil))},
	})
}

func TestSystemAccount(t *testing.T) {
	one := []hunt.Row{rowX(sha2X, 1, 1)}
	as := func(name any, sid string) map[string]any {
		return network(props{"InitiatingProcessAccountName": name, "InitiatingProcessAccountSid": sid})
	}
	runCases(t, []tcase{
		{name: "SYSTEM", recs: recs(as("SYSTEM", "")), kql: one, def: one},
		{name: "sYsTeM", recs: recs(as("sYsTeM", "S-1-5-20")), kql: one, def: one},
		// =~ trims nothing.
		{name: "leading space", recs: recs(as(" system", "S-1-5-20"))},
		{name: "trailing space", recs: recs(as("system ", "S-1-5-20"))},
		{name: "trailing space, SID", recs: recs(as("system ", "S-1-5-18")), def: one},
		// A localized name: only Default reads the SID.
		{name: "localized", recs: recs(as("système", "S-1-5-18")), def: one},
		{name: "null name, SID", recs: recs(as(nil, "S-1-5-18")), def: one},
		{name: "LocalSystem", recs: recs(as("LocalSystem", "S-1-5-18")), def: one},
		{name: "SID of another account", recs: recs(as("NETWORK SERVICE", "S-1-5-20"))},
		{name: "a user", recs: recs(as("user1", "S-1-5-21-1-2-3-1001"))},
	})
}

func TestRemoteAddress(t *testing.T) {
	one := []hunt.Row{rowX(sha2X, 1, 1)}
	to := func(ip any) map[string]any { return network(props{"RemoteIP": ip}) }
	custom, err := config.ParseRanges("test", []string{"10.0.0.0/8", "2001:db8::/32"})
	if err != nil {
		t.Fatal(err)
	}
	runCases(t, []tcase{
		// The edges of 104.16.0.0/13, 104.24.0.0/14 and 103.21.244.0/22.
		{name: "first of a range", recs: recs(to("104.16.0.0")), kql: one, def: one},
		{name: "last of a range", recs: recs(to("104.23.255.255")), kql: one, def: one},
		{name: "next range", recs: recs(to("104.24.0.0")), kql: one, def: one},
		{name: "after the ranges", recs: recs(to("104.28.0.0"))},
		{name: "before a range", recs: recs(to("103.21.243.255"))},
		{name: "not Cloudflare", recs: recs(to("8.8.8.8"))},
		// Only dotted IPv4 reaches ipv4_lookup; Default unmaps and reads IPv6.
		{name: "mapped", recs: recs(to("::ffff:104.16.5.7")), def: one},
		{name: "Cloudflare IPv6", recs: recs(to("2606:4700::6810:507")), def: one},
		{name: "IPv4-compatible", recs: recs(to("::104.16.5.7"))},
		{name: "NAT64", recs: recs(to("64:ff9b::104.16.5.7"))},
		{name: "leading zeros", recs: recs(to("104.016.005.007"))},
		{name: "three parts", recs: recs(to("104.16.5"))},
		{name: "leading space", recs: recs(to(" 104.16.5.7"))},
		{name: "zone", recs: recs(to("2606:4700::1%eth0"))},
		{name: "empty", recs: recs(to(""))},
		{name: "null", recs: recs(to(nil))},
		{name: "dash", recs: recs(to("-"))},
		// Options.Ranges replaces the list; kql-parity keeps its IPv4 part.
		{name: "custom IPv4", opts: hunt.Options{Ranges: custom}, recs: recs(to("10.1.2.3")),
			kql: one, def: one},
		{name: "custom IPv6", opts: hunt.Options{Ranges: custom}, recs: recs(to("2001:db8::1")),
			def: one},
		{name: "custom, Cloudflare", opts: hunt.Options{Ranges: custom}, recs: recs(to("104.16.5.7"))},
	})
}

// An event is counted once per identity (category, DeviceId, Timestamp,
// ReportId), in both profiles, however often it is delivered.
func TestEventIdentity(t *testing.T) {
	ev := func(dev, ts string, report any) map[string]any {
		return network(props{"DeviceId": dev, "Timestamp": ts, "ReportId": report})
	}
	const ts = "2024-05-01T10:00:01.0000000Z"
	once := []hunt.Row{rowX(sha2X, 1, 1)}
	twice := []hunt.Row{rowX(sha2X, 2, 1)}
	resent := ev("dev-1", ts, 7)
	resent["time"] = "2024-05-01T11:00:00.0000000Z" // exported again
	host2 := ev("dev-2", ts, 7)
	host2["properties"].(map[string]any)["DeviceName"] = "host-2"
	twoDevices := []hunt.Row{rowX(sha2X, 2, 2), row(hashX, sha2X, "host-2", pathX, fileX, 2, 2)}
	runCases(t, []tcase{
		{name: "delivered twice", recs: recs(ev("dev-1", ts, 7), ev("dev-1", ts, 7)),
			kql: once, def: once},
		{name: "exported again", recs: recs(ev("dev-1", ts, 7), resent), kql: once, def: once},
		{name: "fewer digits, same time",
			recs: recs(ev("dev-1", ts, 7), ev("dev-1", "2024-05-01T10:00:01Z", 7)), kql: once, def: once},
		{name: "ReportId as a string", recs: recs(ev("dev-1", ts, 7), ev("dev-1", ts, "7")),
			kql: once, def: once},
		// ReportId alone repeats.
		{name: "other time", recs: recs(ev("dev-1", ts, 7), ev("dev-1", "2024-05-01T10:00:02Z", 7)),
			kql: twice, def: twice},
		{name: "other device", recs: recs(ev("dev-1", ts, 7), host2), kql: twoDevices, def: twoDevices},
		{name: "other ReportId", recs: recs(ev("dev-1", ts, 7), ev("dev-1", ts, 8)),
			kql: twice, def: twice},
	})

	// Two records with one identity but different columns: the first one
	// that passes the where clause is the one counted.
	t.Run("first counted wins", func(t *testing.T) {
		first := ev("dev-1", ts, 7)
		second := ev("dev-1", ts, 7)
		second["properties"].(map[string]any)["InitiatingProcessFolderPath"] = `c:\other\agent.exe`
		notSystem := ev("dev-1", ts, 7)
		notSystem["properties"].(map[string]any)["InitiatingProcessAccountName"] = "user1"
		notSystem["properties"].(map[string]any)["InitiatingProcessAccountSid"] = "S-1-5-21-1"
		for _, p := range bothProfiles {
			rows, st, err := run(t, hunt.Options{Profile: p, Provider: unsigned12(hashX)},
				each(t, notSystem, first, second)...)
			if err != nil {
				t.Fatal(err)
			}
			checkRows(t, rows, once)
			if st.Counted != 1 || st.Dropped[hunt.DropDuplicate] != 1 || st.Dropped["not_system"] != 1 {
				t.Errorf("%s: stats %+v", p, st)
			}
		}
	})
}

func recs(r ...map[string]any) []map[string]any { return r }
