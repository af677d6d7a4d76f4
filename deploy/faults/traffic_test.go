package faults

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/flarewatch/flarewatch/stream/gen"
)

// traffic is a scenario's input, in produce order, and its known answer.
type traffic struct {
	data    gen.Dataset
	msgs    []message
	records int // MDE records in msgs: generated, duplicates and flood
	poison  int // poison messages in msgs
	flood   int // flood hashes, each of which must not alert
}

// message is one Kafka message value; poison names its kind, "" for a good
// message.
type message struct {
	value  []byte
	poison string
}

// poisonKinds are the poison messages the suite knows, each of which must
// give exactly one dead letter.
var poisonKinds = []string{
	"truncated-half", "truncated-end", "records-object", "device-id-number",
	"timestamp-number", "invalid-utf8-start", "invalid-utf8-key",
}

// Large poison messages: JSON, but not streaming-API messages. poison1MiB
// is exactly kafka.max_message_bytes' default, the largest message the
// configuration accepts.
const (
	poison2MB  = "2mb-not-a-message"
	poison1MiB = "1mib-not-a-message"
)

// makeTraffic generates the dataset of seed and records, then mixes in the
// poison messages at seeded random positions and the flood's messages.
func makeTraffic(seed int64, records int, poisons []string, flood int) traffic {
	o := gen.DefaultOptions()
	o.Seed, o.Records = seed, records
	d := gen.Generate(o)
	tr := traffic{data: d, records: d.Records, flood: flood}
	for _, m := range d.Messages {
		tr.msgs = append(tr.msgs, message{value: m})
	}
	if flood > 0 {
		tr.mixFlood(seed, flood, o.Start)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x706f69736f6e))
	for _, kind := range poisons {
		at := 1 + rng.IntN(len(tr.msgs)-1)
		v := poisonValue(kind, d.Messages[rng.IntN(len(d.Messages))])
		tr.msgs = append(tr.msgs[:at], append([]message{{value: v, poison: kind}}, tr.msgs[at:]...)...)
		tr.poison++
	}
	return tr
}

// poisonValue builds a poison message of kind; good is a real message some
// kinds are cut from.
func poisonValue(kind string, good []byte) []byte {
	switch kind {
	case "truncated-half":
		return bytes.Clone(good[:len(good)/2])
	case "truncated-end":
		return bytes.Clone(good[:len(good)-2])
	case "records-object":
		return []byte(`{"records":{"category":"AdvancedHunting-DeviceNetworkEvents"}}`)
	case "device-id-number":
		return []byte(`{"records":[{"category":"AdvancedHunting-DeviceNetworkEvents",` +
			`"properties":{"Timestamp":"2025-01-15T10:00:00Z","DeviceId":42}}]}`)
	case "timestamp-number":
		// A candidate in every other respect, so that its time is read.
		return []byte(`{"records":[{"category":"AdvancedHunting-DeviceNetworkEvents",` +
			`"properties":{"Timestamp":1736935200,"DeviceId":"d0","RemoteIP":"104.16.1.1",` +
			`"InitiatingProcessAccountName":"system","InitiatingProcessSHA1":` +
			`"00000000000000000000000000000000000000aa"}}]}`)
	case "invalid-utf8-start":
		return append([]byte("\xff\xfe"), good[:200]...)
	case "invalid-utf8-key":
		return []byte("{\"rec\xff\xfeords\":[]}")
	case poison2MB:
		return []byte(`{"blob":"` + strings.Repeat("x", 2<<20) + `"}`)
	case poison1MiB:
		return []byte(`{"blob":"` + strings.Repeat("x", 1<<20-len(`{"blob":""}`)) + `"}`)
	}
	panic("faults: unknown poison kind " + kind)
}

// floodPerMessage is how many flood records one message carries.
const floodPerMessage = 50

// mixFlood adds n distinct hashes, each seen once as System connecting to a
// Cloudflare address from its own device, spread evenly between the
// generated messages. Their profile says prevalent, so none may alert.
func (tr *traffic) mixFlood(seed int64, n int, start time.Time) {
	var flood [][]byte
	var b []byte
	for i := range n {
		if i%floodPerMessage == 0 {
			if len(b) > 0 {
				flood = append(flood, append(b, "]}"...))
			}
			b = []byte(`{"records":[`)
		} else {
			b = append(b, ',')
		}
		b = appendFloodRecord(b, seed, i, start.Add(time.Duration(i)*(24*time.Hour)/time.Duration(n)))
	}
	flood = append(flood, append(b, "]}"...))
	tr.records += n

	mixed := make([]message, 0, len(tr.msgs)+len(flood))
	per := float64(len(flood)) / float64(len(tr.msgs))
	next := 0
	for i, m := range tr.msgs {
		mixed = append(mixed, m)
		for ; next < len(flood) && float64(next) < per*float64(i+1); next++ {
			mixed = append(mixed, message{value: flood[next]})
		}
	}
	for ; next < len(flood); next++ {
		mixed = append(mixed, message{value: flood[next]})
	}
	tr.msgs = mixed
}

// floodSHA1 is the i-th flood hash of a seed.
func floodSHA1(seed int64, i int) string {
	s := sha1.Sum([]byte("flood-" + strconv.FormatInt(seed, 10) + "-" + strconv.Itoa(i)))
	return hex.EncodeToString(s[:])
}

func appendFloodRecord(b []byte, seed int64, i int, at time.Time) []byte {
	h := floodSHA1(seed, i)
	s256 := sha256.Sum256([]byte(h))
	dev := sha1.Sum([]byte("flood-device-" + h))
	ts := at.UTC().Format("2006-01-02T15:04:05.0000000Z")
	return fmt.Appendf(b, `{"time":%q,"tenantId":%q,"operationName":"Publish",`+
		`"category":"AdvancedHunting-DeviceNetworkEvents","properties":{"Timestamp":%q,`+
		`"DeviceId":"%x","DeviceName":"fl-%d.contoso.com","ActionType":"ConnectionSuccess",`+
		`"RemoteIP":"104.16.%d.%d","RemotePort":443,"RemoteUrl":null,`+
		`"InitiatingProcessFileName":"fl%d.exe",`+
		`"InitiatingProcessFolderPath":"c:\\windows\\temp\\fl%d.exe",`+
		`"InitiatingProcessSHA1":%q,"InitiatingProcessSHA256":"%x",`+
		`"InitiatingProcessAccountName":"system","InitiatingProcessAccountSid":"S-1-5-18",`+
		`"ReportId":%d},"Tenant":"DefaultTenant"}`,
		ts, gen.DefaultTenant, ts, dev, i, i/250%250, 1+i%250, i, i, h, s256, 1000000+i)
}

// writeProfiles writes the FileProfile answers of the dataset, and of the
// flood as Unsigned with a GlobalPrevalence at the threshold, to path.
func (tr *traffic) writeProfiles(path string, seed int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := tr.data.WriteProfiles(f); err != nil {
		_ = f.Close()
		return err
	}
	w := csv.NewWriter(f)
	for i := range tr.flood {
		h := floodSHA1(seed, i)
		s256 := sha256.Sum256([]byte(h))
		_ = w.Write([]string{h, hex.EncodeToString(s256[:]), "Unsigned", "50000"})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
