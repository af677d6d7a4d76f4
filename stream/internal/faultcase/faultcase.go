// Package faultcase reads the public fault cases kept in
// stream/testdata/cases, for the tests of every package that checks them.
package faultcase

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"

	"github.com/segmentio/encoding/json"

	"github.com/flarewatch/flarewatch/stream/enrich"
)

// Case is one fault case: plain messages, a scenario of steps, or a message
// to generate, with what the FileProfile provider answers.
type Case struct {
	Messages    []json.RawMessage `json:"messages"`
	MessagesRaw []string          `json:"messages_raw"`
	MessagesB64 []string          `json:"messages_b64"`
	Steps       []Step            `json:"steps"`
	Generate    *struct {
		Template json.RawMessage `json:"template_record"`
		Bytes    int             `json:"repeat_records_until_message_bytes"`
	} `json:"generate"`
	Fixtures struct {
		FileProfiles map[string]struct {
			SignatureState   string
			GlobalPrevalence int64
		} `json:"fileProfiles"`
	} `json:"fixtures"`
}

// Step is one step of a case's scenario; Raw keeps it whole for the steps
// a test reads itself.
type Step struct {
	Message     json.RawMessage `json:"message"`
	LoadCIDRs   []string        `json:"load_cidrs"`
	ReloadCIDRs []string        `json:"reload_cidrs"`
	Raw         json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a step and keeps its bytes.
func (s *Step) UnmarshalJSON(b []byte) error {
	type plain Step
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*s = Step(p)
	s.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// Load reads case name (for example "B16") from dir.
func Load(dir, name string) (Case, error) {
	var c Case
	b, err := os.ReadFile(filepath.Join(dir, name+".json"))
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("case %s: %w", name, err)
	}
	return c, nil
}

// Values returns the case's Kafka message values, in order: messages,
// then raw messages, then base64 ones. Scenario steps are not included.
func (c Case) Values() ([][]byte, error) {
	var out [][]byte
	for _, m := range c.Messages {
		out = append(out, []byte(m))
	}
	for _, m := range c.MessagesRaw {
		out = append(out, []byte(m))
	}
	for i, m := range c.MessagesB64 {
		b, err := base64.StdEncoding.DecodeString(m)
		if err != nil {
			return nil, fmt.Errorf("messages_b64[%d]: %w", i, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// StepMessages returns the messages of the scenario's steps, in order.
func (c Case) StepMessages() [][]byte {
	var out [][]byte
	for _, s := range c.Steps {
		if s.Message != nil {
			out = append(out, s.Message)
		}
	}
	return out
}

// Provider answers FileProfile look-ups as the case's fixtures say.
func (c Case) Provider() enrich.Provider {
	m := map[string]enrich.Profile{}
	for h, p := range c.Fixtures.FileProfiles {
		m[h] = enrich.Profile{SHA1: h, SignatureState: p.SignatureState,
			GlobalPrevalence: p.GlobalPrevalence, Known: true, Source: "file"}
	}
	return enrich.NewStatic(m)
}

// Generated builds the case's generated message: the template record
// repeated, ReportId counting up, until the message reaches the size the
// case asks for. It returns the message and its number of records.
func (c Case) Generated() ([]byte, int, error) {
	if c.Generate == nil {
		return nil, 0, fmt.Errorf("the case generates nothing")
	}
	var rec map[string]any
	if err := json.Unmarshal(c.Generate.Template, &rec); err != nil {
		return nil, 0, err
	}
	props, _ := rec["properties"].(map[string]any)
	base, _ := props["ReportId"].(float64)
	msg := []byte(`{"records":[`)
	n := 0
	for len(msg) < c.Generate.Bytes {
		props["ReportId"] = int64(base) + int64(n)
		b, err := json.Marshal(rec)
		if err != nil {
			return nil, 0, err
		}
		if n > 0 {
			msg = append(msg, ',')
		}
		msg = append(msg, b...)
		n++
	}
	return append(msg, "]}"...), n, nil
}
