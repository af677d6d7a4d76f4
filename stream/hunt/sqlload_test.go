package hunt_test

import (
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"net/netip"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/stream/enrich"
)

// The reference evaluation loads messages into SQLite tables named after
// Defender's, with plain encoding/json and none of our decoder. Strings
// that are null or absent are "", as Kusto has no null string. The only
// columns computed in Go are Ts (the Timestamp as unix nanoseconds, NULL
// when it does not parse) and the remote address as integers, which
// SQLite cannot parse:
//
//   - KqlV4: RemoteIP as a uint32 when it is a dotted IPv4 address, what
//     ipv4_lookup reads; NULL otherwise.
//   - DefV4, or DefV6Hi and DefV6Lo: RemoteIP as the default profile reads
//     it (IPv4 or IPv6, ::ffff:a.b.c.d unmapped), the IPv6 address as two
//     64-bit halves with the sign bit flipped, so that SQLite's signed
//     order is the addresses' order.
const schema = `
CREATE TABLE DeviceNetworkEvents (
	Seq INTEGER PRIMARY KEY, Ts INTEGER, DeviceId TEXT, DeviceName TEXT, ReportId TEXT,
	AccountName TEXT, AccountSid TEXT, KqlV4 INTEGER, DefV4 INTEGER, DefV6Hi INTEGER,
	DefV6Lo INTEGER, SHA1 TEXT, SHA256 TEXT, FolderPath TEXT, FileName TEXT);
CREATE TABLE DeviceFileCertificateInfo (Seq INTEGER PRIMARY KEY, Ts INTEGER, DeviceId TEXT,
	SHA1 TEXT);
CREATE TABLE FileProfile (SHA1 TEXT, SHA256 TEXT, SignatureState TEXT, GlobalPrevalence INTEGER);
CREATE TABLE RangesV4 (First INTEGER, Last INTEGER);
CREATE TABLE RangesV6 (FirstHi INTEGER, FirstLo INTEGER, LastHi INTEGER, LastLo INTEGER);
`

// openDB returns an in-memory database holding msgs, the profiles and the
// ranges.
func openDB(t *testing.T, msgs [][]byte, profiles map[string]enrich.Profile,
	ranges *config.RangeSet) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // one connection, one in-memory database
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(schema); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	l := loader{t: t, tx: tx}
	l.prepare()
	for _, m := range msgs {
		l.message(m)
	}
	for h, p := range profiles {
		l.exec(l.profile, h, p.SHA256, p.SignatureState, p.GlobalPrevalence)
	}
	for _, p := range ranges.Prefixes() {
		first, last := bounds(p)
		if p.Addr().Is4() {
			l.exec(l.v4, int64(first[1]), int64(last[1]))
		} else {
			l.exec(l.v6, flip(first[0]), flip(first[1]), flip(last[0]), flip(last[1]))
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return db
}

type loader struct {
	t                              *testing.T
	tx                             *sql.Tx
	seq                            int64
	network, cert, profile, v4, v6 *sql.Stmt
}

func (l *loader) prepare() {
	stmt := func(q string) *sql.Stmt {
		s, err := l.tx.Prepare(q)
		if err != nil {
			l.t.Fatal(err)
		}
		return s
	}
	l.network = stmt(`INSERT INTO DeviceNetworkEvents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
	l.cert = stmt(`INSERT INTO DeviceFileCertificateInfo VALUES (?,?,?,?)`)
	l.profile = stmt(`INSERT INTO FileProfile VALUES (?,?,?,?)`)
	l.v4 = stmt(`INSERT INTO RangesV4 VALUES (?,?)`)
	l.v6 = stmt(`INSERT INTO RangesV6 VALUES (?,?,?,?)`)
}

func (l *loader) exec(s *sql.Stmt, args ...any) {
	if _, err := s.Exec(args...); err != nil {
		l.t.Fatal(err)
	}
}

// message loads the records of one message: an envelope, or a record.
func (l *loader) message(m []byte) {
	var env struct {
		Records []json.RawMessage `json:"records"`
	}
	if err := json.Unmarshal(m, &env); err != nil {
		l.t.Fatalf("reference loader: %v", err)
	}
	if env.Records == nil {
		env.Records = []json.RawMessage{m}
	}
	for _, raw := range env.Records {
		var rec struct {
			Category   string                     `json:"category"`
			Properties map[string]json.RawMessage `json:"properties"`
		}
		if err := json.Unmarshal(raw, &rec); err != nil {
			l.t.Fatalf("reference loader: %v", err)
		}
		l.seq++
		p := fields(rec.Properties)
		switch rec.Category {
		case "AdvancedHunting-DeviceNetworkEvents":
			kql, v4, hi, lo := addressColumns(p.str("RemoteIP"))
			l.exec(l.network, l.seq, p.ts(), p.str("DeviceId"), p.str("DeviceName"),
				p.reportID(), p.str("InitiatingProcessAccountName"),
				p.str("InitiatingProcessAccountSid"), kql, v4, hi, lo,
				p.str("InitiatingProcessSHA1"), p.str("InitiatingProcessSHA256"),
				p.str("InitiatingProcessFolderPath"), p.str("InitiatingProcessFileName"))
		case "AdvancedHunting-DeviceFileCertificateInfo":
			l.exec(l.cert, l.seq, p.ts(), p.str("DeviceId"), p.str("SHA1"))
		}
	}
}

// fields are a record's properties.
type fields map[string]json.RawMessage

// str returns a string property, "" when it is null, absent or not a
// string.
func (f fields) str(k string) string {
	var s string
	if json.Unmarshal(f[k], &s) != nil {
		return ""
	}
	return s
}

// ts returns Timestamp as unix nanoseconds, or nil when it does not parse.
func (f fields) ts() any {
	t, err := time.Parse(time.RFC3339Nano, f.str("Timestamp"))
	if err != nil {
		return nil
	}
	return t.UnixNano()
}

// reportID returns ReportId as text, whether a number or a string.
func (f fields) reportID() string {
	if raw := f["ReportId"]; len(raw) > 0 && raw[0] != '"' {
		return string(raw)
	}
	return f.str("ReportId")
}

// addressColumns computes the address columns of a RemoteIP (see schema).
func addressColumns(s string) (kqlV4, defV4, defV6Hi, defV6Lo any) {
	addr, err := netip.ParseAddr(s)
	if err != nil || addr.Zone() != "" {
		return nil, nil, nil, nil
	}
	if addr.Is4() {
		b := addr.As4()
		kqlV4 = int64(binary.BigEndian.Uint32(b[:]))
	}
	if u := addr.Unmap(); u.Is4() {
		b := u.As4()
		return kqlV4, int64(binary.BigEndian.Uint32(b[:])), nil, nil
	}
	b := addr.As16()
	return kqlV4, nil, flip(binary.BigEndian.Uint64(b[:8])), flip(binary.BigEndian.Uint64(b[8:]))
}

// bounds returns the first and last address of p as two 64-bit halves; an
// IPv4 prefix's addresses are in the low half.
func bounds(p netip.Prefix) (first, last [2]uint64) {
	p = p.Masked()
	if p.Addr().Is4() {
		b := p.Addr().As4()
		lo := uint64(binary.BigEndian.Uint32(b[:]))
		return [2]uint64{0, lo}, [2]uint64{0, lo | (1<<(32-p.Bits()) - 1)}
	}
	b := p.Addr().As16()
	first = [2]uint64{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
	last = first
	if host := 128 - p.Bits(); host >= 64 {
		last[0] |= 1<<(host-64) - 1
		last[1] = ^uint64(0)
	} else {
		last[1] |= 1<<host - 1
	}
	return first, last
}

// flip maps a uint64 to an int64 of the same order.
func flip(u uint64) int64 { return int64(u ^ 1<<63) }
