package gen

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// renderer writes records as the streaming API sends them. It draws the
// columns no one checks from its own random stream, in record order.
type renderer struct {
	jw
	g   *generator
	rng *rand.Rand
}

// record appends one record.
func (r *renderer) record(s *spec) {
	d := &r.g.devices[s.device]
	r.envelope(s, d)
	r.stamp("Timestamp", s.at, s.digits)
	r.str("DeviceId", d.id)
	r.str("DeviceName", d.name)
	switch s.table {
	case tNetwork:
		r.network(s, d)
	case tCert:
		r.cert(s)
	case tProcess:
		r.process(s, d)
	case tFile:
		r.file(s, d)
	case tLogon:
		r.logon(s, d)
	}
	r.reportID(d)
	r.str("MachineGroup", d.group)
	r.end()
	r.str("Tenant", "DefaultTenant")
	r.end()
}

// envelope opens a record and its properties. The time is first and always
// 7-digit, so that a re-sent copy can have it rewritten in place; some
// records carry the service's receive time, as live exports do.
func (r *renderer) envelope(s *spec, d *device) {
	r.b = append(r.b, '{')
	r.stamp("time", s.sent, 7)
	r.str("tenantId", r.g.tenants[d.tenant].id)
	r.str("operationName", "Publish")
	r.str("category", categories[s.table])
	if r.rng.IntN(3) == 0 {
		recv := s.at + floorTo((s.sent-s.at)*3/4, tick)
		r.stamp("_TimeReceivedBySvc", recv, 7)
	}
	r.open("properties")
}

// reportID writes the device's next ReportId, sometimes as a numeric
// string.
func (r *renderer) reportID(d *device) {
	id := d.reportID
	d.reportID++
	if r.rng.IntN(20) == 0 {
		r.str("ReportId", strconv.FormatInt(id, 10))
		return
	}
	r.num("ReportId", id)
}

// additionalFields writes AdditionalFields: mostly null, else the same
// JSON as a string or as an object.
func (r *renderer) additionalFields(kv ...string) {
	n := r.rng.IntN(100)
	if n >= 30 || len(kv) == 0 {
		r.null("AdditionalFields")
		return
	}
	var in jw
	in.b = append(in.b, '{')
	for i := 0; i+1 < len(kv); i += 2 {
		in.str(kv[i], kv[i+1])
	}
	in.end()
	if n < 20 {
		r.str("AdditionalFields", string(in.b))
		return
	}
	r.key("AdditionalFields")
	r.b = append(r.b, in.b...)
}

// folder writes a program's folder path on device d, with the device's user
// in per-user paths.
func (r *renderer) folder(k string, b *program, d *device) {
	before, after, ok := strings.Cut(b.folder, "%u")
	if !ok {
		r.str(k, b.folder)
		return
	}
	r.str(k, before+r.g.users[d.user].name+after)
}
