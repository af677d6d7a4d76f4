package main

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/segmentio/encoding/json"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flarewatch/flarewatch/sinks"
	"github.com/flarewatch/flarewatch/stream/gen"
)

// genCmd is flarewatch gen. Without --out or --topic the messages go to
// stdout.
type genCmd struct {
	Seed       int64     `help:"The same flags always give the same bytes." default:"1"`
	Records    int       `help:"Records, approximately (re-sent duplicates on top)." default:"10000"`
	Start      time.Time `help:"Earliest event time, RFC 3339. Default: 2025-01-15T00:00:00Z."`
	End        time.Time `help:"Event times are before this. Default: 24 hours after --start."`
	Devices    int       `help:"Number of devices." default:"200"`
	Positives  int       `help:"Planted true positives, besides one localized-System and one IPv6-only." default:"3"`
	Out        string    `help:"Messages file, one a line (gzip when *.gz; - is stdout)."`
	Profiles   string    `help:"FileProfile answers file (CSV), for hunt --file-profiles."`
	Topic      string    `help:"Produce the messages to this Kafka topic."`
	Brokers    []string  `help:"Seed brokers for --topic (host:port,...)."`
	Partitions int32     `help:"Partitions of --topic when it has to be created." default:"6"`
	Stamp      string    `help:"Kafka timestamp of each message: now, or export (its records' export time, for an archive to replay; keep such a topic with retention.ms=-1, or time-based retention deletes it)." default:"now" enum:"now,export"`
}

// Run generates the traffic and writes it to --out, --topic or both, and
// the FileProfile answers to --profiles. A summary, with the planted
// hashes, goes to stderr.
func (c *genCmd) Run(ctx context.Context) error {
	return c.run(ctx, os.Stdout, os.Stderr)
}

func (c *genCmd) run(ctx context.Context, stdout, stderr io.Writer) error {
	if c.Topic != "" && len(c.Brokers) == 0 {
		return errors.New("--topic needs --brokers")
	}
	o := gen.DefaultOptions()
	o.Seed, o.Records, o.Devices, o.Positives = c.Seed, c.Records, c.Devices, c.Positives
	if !c.Start.IsZero() {
		o.Start = c.Start
	}
	o.End = o.Start.Add(24 * time.Hour)
	if !c.End.IsZero() {
		o.End = c.End
	}
	if o.End.Sub(o.Start) < time.Millisecond {
		return fmt.Errorf("--end %s is not at least 1ms after --start %s",
			o.End.Format(time.RFC3339Nano), o.Start.Format(time.RFC3339Nano))
	}
	ds := gen.Generate(o)

	if c.Out != "" || c.Topic == "" {
		if err := writeFile(c.Out, stdout, ds.WriteMessages); err != nil {
			return fmt.Errorf("write messages: %w", err)
		}
	}
	if c.Profiles != "" {
		if err := writeFile(c.Profiles, stdout, ds.WriteProfiles); err != nil {
			return fmt.Errorf("write profiles: %w", err)
		}
	}
	if c.Topic != "" {
		if err := produceMessages(ctx, c.Brokers, c.Topic, c.Partitions, ds.Messages, c.Stamp == "export"); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "flarewatch gen: %d messages, %d records (%d re-sent); planted %s; "+
		"kql-parity finds %s\n", len(ds.Messages), ds.Records, ds.Duplicates,
		strings.Join(ds.Planted, ","), strings.Join(ds.KQLParity(), ","))
	return nil
}

// writeFile writes with write to the file at path, created or truncated,
// gzip-compressed when its name ends in .gz; "" and "-" are stdout.
func writeFile(path string, stdout io.Writer, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		return write(stdout)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	var w io.Writer = f
	var zw *gzip.Writer
	if strings.HasSuffix(path, ".gz") {
		zw = gzip.NewWriter(f)
		w = zw
	}
	err = write(w)
	if zw != nil {
		err = errors.Join(err, zw.Close())
	}
	return errors.Join(err, f.Close())
}

// produceMessages produces msgs to topic, in order, and waits until every
// one is acknowledged; the first failure is returned.
func produceMessages(ctx context.Context, brokers []string, topic string, partitions int32,
	msgs [][]byte, exportTime bool) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic(topic))
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer cl.Close()
	if err := sinks.EnsureTopics(ctx, kadm.NewClient(cl), partitions, topic); err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}

	// Batches of messages bound what is held in flight at once.
	const batch = 1000
	for len(msgs) > 0 {
		n := min(len(msgs), batch)
		recs := make([]*kgo.Record, n)
		for i, m := range msgs[:n] {
			recs[i] = &kgo.Record{Value: m}
			if exportTime {
				recs[i].Timestamp = exportTimeOf(m)
			}
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			return fmt.Errorf("produce to %s: %w", topic, err)
		}
		msgs = msgs[n:]
	}
	return nil
}

// exportTimeOf returns the envelope time of a message's first record, the
// time the streaming API exported it; the zero time lets Kafka stamp it.
func exportTimeOf(msg []byte) time.Time {
	var env struct {
		Records []struct {
			Time time.Time `json:"time"`
		} `json:"records"`
	}
	if json.Unmarshal(msg, &env) != nil || len(env.Records) == 0 {
		return time.Time{}
	}
	return env.Records[0].Time
}
