package stream_test

import (
	"testing"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/flarewatch/flarewatch/sinks"
)

// Three certificate rows of one hash in one fetch (the table reports a
// file once per device: a fetch often holds several rows of one hash)
// close each tenant's open alert, once in effect: every close of one alert
// carries the same delivery key, so that a consumer dropping repeats keeps
// one. How many close messages are published is logged: MarkSigned hands
// out a close per row, and the pipeline publishes each.
func TestOneClosePerEpisode(t *testing.T) {
	h := newHarness(t, 1)
	h.separate = true
	base := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	rec := func(category, tenant string, at time.Time, props map[string]any) map[string]any {
		props["Timestamp"] = at.Format(time.RFC3339Nano)
		return map[string]any{"category": category, "tenantId": tenant, "properties": props}
	}
	msg := func(records ...map[string]any) []byte {
		b, err := json.Marshal(map[string]any{"records": records})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	connection := func(tenant, device string, report int, at time.Time) map[string]any {
		return rec("AdvancedHunting-DeviceNetworkEvents", tenant, at, map[string]any{
			"DeviceId": device, "DeviceName": device, "ReportId": report,
			"RemoteIP": "104.16.5.7", "RemotePort": 443,
			"InitiatingProcessAccountName": "system", "InitiatingProcessAccountSid": "S-1-5-18",
			"InitiatingProcessSHA1": hashX, "InitiatingProcessFileName": "agent.exe",
			"InitiatingProcessFolderPath": `c:\programdata\agent.exe`,
		})
	}
	cert := func(tenant, device string, report int, at time.Time) map[string]any {
		return rec("AdvancedHunting-DeviceFileCertificateInfo", tenant, at,
			map[string]any{"DeviceId": device, "SHA1": hashX, "ReportId": report, "IsSigned": true})
	}
	h.produce(0, msg(connection("tenant-1", "dev-a", 1, base)), msg(connection("tenant-2", "dev-c", 3, base.Add(time.Minute))))
	h.run()
	created := map[string]bool{}
	for _, a := range h.alerts() {
		if a.Activity == sinks.ActivityCreate {
			created[a.TenantID] = true
		}
	}
	if !created["tenant-1"] || !created["tenant-2"] {
		t.Fatalf("created alerts for %v, want both tenants", created)
	}

	h.produce(0, msg(cert("tenant-2", "dev-c", 4, base.Add(time.Hour)), cert("tenant-1", "dev-a", 5, base.Add(time.Hour)),
		cert("tenant-2", "dev-d", 6, base.Add(time.Hour+time.Second))))
	h.run()
	messages := map[string]int{}
	keys := map[string]map[string]bool{}
	for _, a := range h.alerts() {
		if a.Activity == sinks.ActivityClose {
			messages[a.TenantID]++
			if keys[a.TenantID] == nil {
				keys[a.TenantID] = map[string]bool{}
			}
			keys[a.TenantID][sinks.DeliveryKey(&a)] = true
		}
	}
	t.Logf("close messages per tenant for 3 rows in one fetch: %v", messages)
	if len(keys) != 2 || len(keys["tenant-1"]) != 1 || len(keys["tenant-2"]) != 1 {
		t.Errorf("close delivery keys per tenant: %v, want one for each tenant's alert", keys)
	}
}
