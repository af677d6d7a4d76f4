package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/stream/enrich"
	"github.com/flarewatch/flarewatch/stream/hunt"
	"github.com/flarewatch/flarewatch/stream/rule"
)

// huntCmd is flarewatch hunt. --file-profiles and --config both name the
// FileProfile provider, so only one may be given.
type huntCmd struct {
	Input        string    `help:"Kafka message values, one a line (gzip allowed)." type:"existingfile" required:""`
	Now          time.Time `help:"The query's now(), RFC 3339 (2025-01-16T00:00:00Z)." required:""`
	Profile      string    `help:"kql-parity or default. Default: the configuration's, else kql-parity."`
	FileProfiles string    `help:"FileProfile answers, CSV or JSON lines." type:"existingfile" xor:"profiles"`
	Config       string    `help:"Take rule settings and provider from this configuration." type:"existingfile" xor:"profiles"`
	Format       string    `help:"json (a row object a line), csv or table." enum:"json,csv,table" default:"json"`
}

// Run evaluates the rule over the input as the hunting query would at
// --now and prints the rows, ordered by Count descending, on stdout; a
// summary goes to stderr. More groups than the query's size guard allows
// is an error, with the query's assert message.
func (c *huntCmd) Run(ctx context.Context) error {
	return c.run(ctx, os.Stdout, os.Stderr)
}

func (c *huntCmd) run(ctx context.Context, stdout, stderr io.Writer) error {
	o, err := c.options()
	if err != nil {
		return err
	}
	msgs, err := readMessages(c.Input)
	if err != nil {
		return err
	}
	if o.Profile == rule.KQLParity && o.Provider.Name() == enrich.NameNone {
		fmt.Fprintln(stderr, "flarewatch hunt: no FileProfile provider, so kql-parity keeps no hash: "+
			"give --file-profiles or --config")
	}

	h := hunt.New(o)
	for i, m := range msgs {
		if err := h.Add(m); err != nil && h.Stats().BadMessages <= 5 {
			fmt.Fprintf(stderr, "flarewatch hunt: message %d: %v\n", i+1, err)
		}
	}
	rows, err := h.Rows(ctx)
	if err != nil {
		return err
	}
	if err := writeRows(stdout, c.Format, rows); err != nil {
		return err
	}
	st := h.Stats()
	fmt.Fprintf(stderr, "flarewatch hunt: %s profile, %d messages (%d undecodable), %d records "+
		"(%d bad), %d events counted, %d rows\n", o.Profile, st.Messages, st.BadMessages,
		st.Records, st.BadRecords, st.Counted, len(rows))
	return nil
}

// options builds the hunt's options from the flags and, with --config, the
// configuration's rule and enrichment settings.
func (c *huntCmd) options() (hunt.Options, error) {
	o := hunt.Options{Profile: rule.KQLParity, Now: c.Now, Provider: enrich.None{}}
	if c.Config != "" {
		cfg, err := config.Load(c.Config)
		if err != nil {
			return o, err
		}
		if o.Ranges, err = cfg.Rule.Ranges.Load(); err != nil {
			return o, err
		}
		if o.Provider, err = newProvider(cfg.Enrichment, nil, cfg.Redis.Namespace); err != nil {
			return o, err
		}
		o.Profile = rule.Profile(cfg.Rule.Profile)
		o.Lookback = cfg.Rule.Lookback.Std()
		o.MaxPrevalence, o.MaxGroups = cfg.Rule.MaxPrevalence, cfg.Rule.MaxGroups
	}
	if c.FileProfiles != "" {
		f, err := enrich.OpenFile(c.FileProfiles)
		if err != nil {
			return o, err
		}
		o.Provider = f
	}
	switch p := rule.Profile(c.Profile); p {
	case "":
	case rule.KQLParity, rule.Default:
		o.Profile = p
	default:
		return o, fmt.Errorf("--profile %q is not one of %s, %s", c.Profile, rule.KQLParity, rule.Default)
	}
	return o, nil
}

// huntColumns are the columns of the csv and table output, in the order of
// the query's project-reorder, then the others.
var huntColumns = []string{"DeviceName", "InitiatingProcessFolderPath", "SHA256", "SHA1", "Count",
	"InitiatingProcessFileName", "Devices", "SignatureState", "GlobalPrevalence"}

func huntRecord(r hunt.Row, null string) []string {
	prevalence := null
	if r.GlobalPrevalence != nil {
		prevalence = strconv.FormatInt(*r.GlobalPrevalence, 10)
	}
	return []string{r.DeviceName, r.InitiatingProcessFolderPath, r.SHA256, r.SHA1,
		strconv.FormatInt(r.Count, 10), r.InitiatingProcessFileName, strconv.Itoa(r.Devices),
		r.SignatureState, prevalence}
}

// writeRows prints rows as JSON lines (one object a row, keys the query's
// column names), CSV with a header (null prevalence empty), or an aligned
// table (null prevalence "-").
func writeRows(w io.Writer, format string, rows []hunt.Row) error {
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write(huntColumns)
		for _, r := range rows {
			_ = cw.Write(huntRecord(r, ""))
		}
		cw.Flush()
		return cw.Error()
	case "table":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		writeTabbed(tw, huntColumns)
		for _, r := range rows {
			writeTabbed(tw, huntRecord(r, "-"))
		}
		return tw.Flush()
	default:
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
}

// writeTabbed writes one line of cells to a tabwriter, which reports write
// errors at Flush.
func writeTabbed(tw *tabwriter.Writer, cells []string) {
	for i, s := range cells {
		if i > 0 {
			_, _ = io.WriteString(tw, "\t")
		}
		_, _ = io.WriteString(tw, s)
	}
	_, _ = io.WriteString(tw, "\n")
}
