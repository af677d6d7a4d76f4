package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/kong"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flarewatch/flarewatch/stream/gen"
	"github.com/flarewatch/flarewatch/stream/hunt"
)

const syntheticInput = "../../stream/testdata/synthetic-eventhub-message.ndjson"

// huntCLI parses args as the command line does and runs the hunt or gen
// command it names, returning what it printed on stdout and stderr.
func huntCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var c cli
	parser, err := kong.New(&c, kong.Name("flarewatch"),
		kong.Exit(func(int) { t.Fatal("kong exited") }))
	if err != nil {
		t.Fatal(err)
	}
	kctx, err := parser.Parse(args)
	if err != nil {
		return "", "", err
	}
	var out, errb bytes.Buffer
	switch kctx.Command() {
	case "hunt":
		err = c.Hunt.run(context.Background(), &out, &errb)
	case "gen":
		err = c.Gen.run(context.Background(), &out, &errb)
	default:
		t.Fatalf("command %q", kctx.Command())
	}
	return out.String(), errb.String(), err
}

// huntJSON decodes the JSON lines of a hunt.
func huntJSON(t *testing.T, out string) []hunt.Row {
	t.Helper()
	var rows []hunt.Row
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var r hunt.Row
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("%v in %q", err, out)
		}
		rows = append(rows, r)
	}
	return rows
}

// writeTemp writes content to a file in the test's directory.
func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// The synthetic message: under default, records 0 and 1 (7 repeats 0) and
// record 8 (by SID); under kql-parity nothing, as the expectation says of
// a literal port of the query.
func TestHuntSyntheticMessage(t *testing.T) {
	profiles := writeTemp(t, "profiles.csv", "SHA1,SignatureState,GlobalPrevalence\n"+
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1,Unsigned,12\n"+
		"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2,Unsigned,12\n"+
		"ccccccccccccccccccccccccccccccccccccccc3,Unsigned,12\n"+
		"ddddddddddddddddddddddddddddddddddddddd4,Unsigned,12\n")
	const (
		a1 = `{"SHA1":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1","SHA256":"",` +
			`"DeviceName":"host-01.example.local",` +
			`"InitiatingProcessFolderPath":"c:\\programdata\\updater\\updater.exe",` +
			`"InitiatingProcessFileName":"updater.exe","Count":2,"Devices":1,`
		d4 = `{"SHA1":"ddddddddddddddddddddddddddddddddddddddd4","SHA256":"",` +
			`"DeviceName":"host-02.example.local",` +
			`"InitiatingProcessFolderPath":"c:\\windows\\temp\\svc.exe",` +
			`"InitiatingProcessFileName":"svc.exe","Count":1,"Devices":1,`
		unknown  = `"SignatureState":"Unknown","GlobalPrevalence":null}` + "\n"
		unsigned = `"SignatureState":"Unsigned","GlobalPrevalence":12}` + "\n"
	)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"default, no provider", []string{"--profile", "default"}, a1 + unknown + d4 + unknown},
		{"default, profiles", []string{"--profile", "default", "--file-profiles", profiles},
			a1 + unsigned + d4 + unsigned},
		{"kql-parity", []string{"--profile", "kql-parity", "--file-profiles", profiles}, ""},
		{"kql-parity by default", []string{"--file-profiles", profiles}, ""},
		{"csv", []string{"--profile", "default", "--format", "csv"},
			"DeviceName,InitiatingProcessFolderPath,SHA256,SHA1,Count,InitiatingProcessFileName," +
				"Devices,SignatureState,GlobalPrevalence\n" +
				`host-01.example.local,c:\programdata\updater\updater.exe,,` +
				"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1,2,updater.exe,1,Unknown,\n" +
				`host-02.example.local,c:\windows\temp\svc.exe,,` +
				"ddddddddddddddddddddddddddddddddddddddd4,1,svc.exe,1,Unknown,\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"hunt", "--input", syntheticInput,
				"--now", "2025-01-15T09:00:00Z"}, tt.args...)
			out, stderr, err := huntCLI(t, args...)
			if err != nil {
				t.Fatal(err)
			}
			if out != tt.want {
				t.Errorf("stdout:\n%s\nwant:\n%s", out, tt.want)
			}
			if !strings.Contains(stderr, "12 records (0 bad)") {
				t.Errorf("stderr: %q", stderr)
			}
		})
	}
}

// --config brings the rule settings and the provider of a configuration;
// --profile still wins.
func TestHuntConfig(t *testing.T) {
	profiles := writeTemp(t, "profiles.csv", "SHA1,SignatureState,GlobalPrevalence\n"+
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1,Unsigned,12\n")
	config := func(rule string) string {
		return writeTemp(t, "flarewatch.yaml", "kafka: {brokers: [localhost:9092]}\n"+
			"enrichment: {provider: file, file: "+profiles+"}\nrule: {"+rule+"}\n")
	}
	tests := []struct {
		name, rule string
		args       []string
		want       []string // SHA1 and SignatureState of each row
	}{
		{"default", "profile: default", nil,
			[]string{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1 Unsigned",
				"ddddddddddddddddddddddddddddddddddddddd4 Unknown"}},
		{"max_prevalence", "profile: default, max_prevalence: 12", nil,
			[]string{"ddddddddddddddddddddddddddddddddddddddd4 Unknown"}},
		{"lookback", "profile: default, lookback: 30m, bucket: 10m", nil, nil},
		{"kql-parity", "profile: kql-parity", nil, nil},
		{"--profile wins", "profile: kql-parity", []string{"--profile", "default"},
			[]string{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1 Unsigned",
				"ddddddddddddddddddddddddddddddddddddddd4 Unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"hunt", "--input", syntheticInput,
				"--now", "2025-01-15T09:00:00Z", "--config", config(tt.rule)}, tt.args...)
			out, _, err := huntCLI(t, args...)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range huntJSON(t, out) {
				got = append(got, r.SHA1+" "+r.SignatureState)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("rows %q, want %q", got, tt.want)
			}
		})
	}
}

// The table lines up its columns, whatever the width of the cells.
func TestHuntTable(t *testing.T) {
	out, _, err := huntCLI(t, "hunt", "--input", syntheticInput, "--now", "2025-01-15T09:00:00Z",
		"--profile", "default", "--format", "table")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want a header and 2 rows:\n%s", len(lines), out)
	}
	col := strings.Index(lines[0], "SHA1")
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l[col:], "aaaa") && !strings.HasPrefix(l[col:], "dddd") {
			t.Errorf("SHA1 column not aligned at %d:\n%s", col, out)
		}
	}
}

// More groups than the query allows fail with the assert's message.
func TestHuntTooManyGroups(t *testing.T) {
	var b strings.Builder
	for i := range 1001 {
		fmt.Fprintf(&b, `{"records":[{"category":"AdvancedHunting-DeviceNetworkEvents",`+
			`"properties":{"Timestamp":"2025-01-15T08:00:00Z","DeviceId":"d","ReportId":%d,`+
			`"InitiatingProcessAccountName":"System","RemoteIP":"104.16.5.7",`+
			`"InitiatingProcessSHA1":"%040x"}}]}`+"\n", i, i)
	}
	input := writeTemp(t, "many.ndjson", b.String())
	_, _, err := huntCLI(t, "hunt", "--input", input, "--now", "2025-01-15T09:00:00Z")
	if !errors.Is(err, hunt.ErrTooManyGroups) ||
		!strings.Contains(err.Error(), "Too many matches for FileProfile") {
		t.Fatalf("got %v, want the size guard's assert", err)
	}
	if _, _, err := huntCLI(t, "hunt", "--input", input, "--now", "2025-01-15T09:00:00Z",
		"--profile", "default"); err != nil {
		t.Errorf("default has no size guard: %v", err)
	}
}

func TestHuntFlags(t *testing.T) {
	for _, args := range [][]string{
		{"hunt", "--input", syntheticInput},
		{"hunt", "--input", syntheticInput, "--now", "yesterday"},
		{"hunt", "--input", syntheticInput, "--now", "2025-01-15T09:00:00Z", "--format", "xml"},
		{"hunt", "--input", syntheticInput, "--now", "2025-01-15T09:00:00Z", "--profile", "strict"},
		{"hunt", "--input", syntheticInput, "--now", "2025-01-15T09:00:00Z",
			"--file-profiles", syntheticInput, "--config", syntheticInput},
	} {
		if _, _, err := huntCLI(t, args...); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

// gen writes a dataset hunt reads back: the planted hashes kql-parity
// finds, each with the generator's count.
func TestGenThenHunt(t *testing.T) {
	dir := t.TempDir()
	msgs, profiles := filepath.Join(dir, "traffic.ndjson.gz"), filepath.Join(dir, "profiles.csv")
	_, stderr, err := huntCLI(t, "gen", "--seed", "7", "--records", "2000", "--devices", "40",
		"--start", "2025-01-15T00:00:00Z", "--end", "2025-01-16T00:00:00Z",
		"--out", msgs, "--profiles", profiles)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "planted") {
		t.Errorf("gen summary: %q", stderr)
	}
	out, _, err := huntCLI(t, "hunt", "--input", msgs, "--now", "2025-01-16T00:00:00Z",
		"--file-profiles", profiles)
	if err != nil {
		t.Fatal(err)
	}

	ds := gen.Generate(gen.Options{Seed: 7, Records: 2000, Devices: 40, Traps: true,
		Start: time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)})
	counts := map[string]int64{}
	for _, r := range huntJSON(t, out) {
		counts[r.SHA1] = r.Count
	}
	want := ds.KQLParity()
	if len(counts) != len(want) {
		t.Errorf("rows for %d hashes, want %d (%v)", len(counts), len(want), want)
	}
	for _, h := range want {
		if counts[h] != int64(ds.Counts[h].KQLParity) {
			t.Errorf("%s: Count %d, generator says %d", h, counts[h], ds.Counts[h].KQLParity)
		}
	}
}

// gen --topic produces every message, in order, and checks each produce.
func TestGenToTopic(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "mde"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	brokers := strings.Join(cluster.ListenAddrs(), ",")
	out, _, err := huntCLI(t, "gen", "--seed", "2", "--records", "500", "--topic", "mde",
		"--brokers", brokers)
	if err != nil {
		t.Fatal(err)
	}
	if out != "" {
		t.Errorf("gen --topic wrote %d bytes to stdout", len(out))
	}

	o := gen.DefaultOptions()
	o.Seed, o.Records = 2, 500
	want := gen.Generate(o).Messages
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.ConsumeTopics("mde"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got [][]byte
	for len(got) < len(want) && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { got = append(got, r.Value) })
	}
	if !slices.EqualFunc(got, want, bytes.Equal) {
		t.Errorf("topic holds %d messages, want the generator's %d, in order", len(got), len(want))
	}
	if _, _, err := huntCLI(t, "gen", "--topic", "mde"); err == nil {
		t.Error("--topic without --brokers accepted")
	}
}
