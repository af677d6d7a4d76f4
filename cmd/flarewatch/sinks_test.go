package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/segmentio/encoding/json"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/deploy/testenv"
	"github.com/flarewatch/flarewatch/sinks"
	"github.com/flarewatch/flarewatch/stream"
)

// The service over the synthetic message delivers every alert exactly once
// to a webhook in the flarewatch form, and to Splunk HEC and Sentinel in
// the OCSF form, each of which fails its first delivery; the alert topic
// carries the OCSF form, keyed and headed as ever.
func TestServiceDeliversToEverySink(t *testing.T) {
	brokers := testenv.Kafka(t)
	rdb, prefix := testenv.RedisNS(t)
	input := testenv.Topic(t, brokers, 3)
	cfg := config.Default()
	cfg.Kafka.Brokers, cfg.Kafka.Topics, cfg.Kafka.Group = brokers, []string{input}, input
	cfg.Kafka.AlertTopic = testenv.Topic(t, brokers, 1)
	cfg.Kafka.DeadLetterTopic = testenv.Topic(t, brokers, 1)
	cfg.Kafka.CreateTopics = false
	cfg.Redis.Addrs = []string{rdb.(*redis.Client).Options().Addr}
	cfg.Redis.Namespace = strings.TrimSuffix(prefix, ":")
	cfg.Sinks.Format = config.FormatOCSF
	cfg.Sinks.DeadLetterFile = filepath.Join(t.TempDir(), "refused.jsonl")
	webhook, hec, sentinel := fakeDestinations(t, &cfg.Sinks)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the test's configuration: %v", err)
	}

	alerts := runOver(t, cfg, "../../stream/testdata/synthetic-eventhub-message.ndjson")
	want := map[string]bool{}
	var hashes []string
	for i := range alerts {
		k := sinks.DeliveryKey(&alerts[i])
		if want[k] {
			t.Errorf("the pipeline published %s twice", k)
		}
		want[k] = true
		if alerts[i].Activity == sinks.ActivityCreate {
			hashes = append(hashes, alerts[i].SHA1)
		}
	}
	sort.Strings(hashes)
	if got := strings.Join(hashes, " "); got != "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1 "+
		"ddddddddddddddddddddddddddddddddddddddd4" {
		t.Fatalf("created alerts for %q, want the synthetic message's two hashes", got)
	}

	for _, d := range []struct {
		dest *destination
		form sinks.Form
	}{{webhook, sinks.FormFlarewatch}, {hec, sinks.FormOCSF}, {sentinel, sinks.FormOCSF}} {
		docs, deliveries := d.dest.stored()
		if deliveries < 2 {
			t.Errorf("%s: %d deliveries, want the failed one and at least one more",
				d.dest.name, deliveries)
		}
		assertExactlyOnce(t, d.dest.name, d.form, docs, want)
	}
	assertExactlyOnce(t, "alert topic", sinks.FormOCSF, alertTopic(t, cfg, alerts), want)

	if b, err := os.ReadFile(cfg.Sinks.DeadLetterFile); err != nil || len(b) > 0 {
		t.Errorf("dead-letter file: %q, %v; want it empty", b, err)
	}
}

// fakeDestinations starts a webhook, a Splunk HEC and a Sentinel that each
// fail their first delivery (503, HEC busy, 429), and points the HTTP sinks
// of c at them: the webhook in the flarewatch form, the others in c's.
func fakeDestinations(t *testing.T, c *config.Sinks) (webhook, hec, sentinel *destination) {
	fast := config.Retry{Initial: config.Duration(10 * time.Millisecond),
		Max: config.Duration(100 * time.Millisecond), Budget: config.Duration(30 * time.Second)}

	webhook = &destination{t: t, name: "webhook",
		fail: reply{status: http.StatusServiceUnavailable}, ok: reply{status: http.StatusOK},
		check: requireHeaders(map[string]string{"Authorization": "Bearer hook-token",
			"Content-Type": "application/json"}),
		split: jsonArray}
	c.Webhook.URL = webhook.start("/hooks/flarewatch") + "/hooks/flarewatch"
	c.Webhook.AuthValue = "Bearer hook-token"
	c.Webhook.Form = config.FormatFlarewatch
	c.Webhook.Retry = fast

	hec = &destination{t: t, name: "splunk_hec",
		fail: reply{status: http.StatusServiceUnavailable, body: `{"text":"Server is busy","code":9}`},
		ok:   reply{status: http.StatusOK, body: `{"text":"Success","code":0}`},
		check: requireHeaders(map[string]string{"Authorization": "Splunk hec-token",
			"Content-Type": "application/json"}),
		split: hecEvents("flarewatch:ocsf")}
	c.SplunkHEC.URL = hec.start("/services/collector/event")
	c.SplunkHEC.Token = "hec-token"
	c.SplunkHEC.Retry = fast
	c.SplunkHEC.Throttle = config.Duration(time.Hour) // creates pass it

	const dcr, stream = "dcr-00112233445566778899aabbccddeeff", "Custom-FlarewatchAlerts"
	sentinel = &destination{t: t, name: "sentinel",
		fail:  reply{status: http.StatusTooManyRequests, retryAfter: "1"},
		ok:    reply{status: http.StatusNoContent},
		check: requireHeaders(map[string]string{"Authorization": "Bearer azure-token"}),
		split: jsonArray,
		token: azureToken(t, "client", "client-secret", "azure-token")}
	c.Sentinel.Endpoint = sentinel.start("/dataCollectionRules/" + dcr + "/streams/" + stream)
	c.Sentinel.DCRImmutableID, c.Sentinel.Stream = dcr, stream
	c.Sentinel.TenantID, c.Sentinel.ClientID, c.Sentinel.ClientSecret = "tenant", "client",
		"client-secret"
	c.Sentinel.TokenURL = c.Sentinel.Endpoint + "/token"
	c.Sentinel.Retry = fast
	return webhook, hec, sentinel
}

// runOver runs the service over the messages of path until they are
// consumed, raises what is still due, closes the service, and returns every
// alert the pipeline published.
func runOver(t *testing.T, cfg config.Config, path string) []sinks.Alert {
	t.Helper()
	ctx := context.Background()
	msgs, err := readMessages(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := produce(ctx, cfg.Kafka.Brokers, cfg.Kafka.Topics[0], msgs); err != nil {
		t.Fatal(err)
	}
	collect := &collectSink{}
	s, err := newService(ctx, cfg, slog.New(slog.DiscardHandler),
		serviceOptions{eventTime: true, sinks: []sinks.Sink{collect}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.close(ctx)

	if err := s.consumeFinite(ctx, func() error {
		return stream.WaitDrained(ctx, kadm.NewClient(s.kafka), cfg.Kafka.Group, 2*time.Minute,
			func() {}, cfg.Kafka.Topics...)
	}); err != nil {
		t.Fatalf("consume the input: %v", err)
	}
	return collect.all()
}

// alertTopic reads the alert topic's records, one per alert, checks their
// keys and headers against the alerts, and returns their values.
func alertTopic(t *testing.T, cfg config.Config, alerts []sinks.Alert) [][]byte {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Kafka.Brokers...),
		kgo.ConsumeTopics(cfg.Kafka.AlertTopic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	byID := map[string]*sinks.Alert{}
	for i := range alerts {
		byID[alerts[i].ID] = &alerts[i]
	}
	var values [][]byte
	for len(values) < len(alerts) && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			values = append(values, r.Value)
			h := map[string]string{}
			for _, kv := range r.Headers {
				h[kv.Key] = string(kv.Value)
			}
			a := byID[h[sinks.HeaderAlertID]]
			if a == nil || string(r.Key) != a.SHA1 || h[sinks.HeaderActivity] != string(a.Activity) ||
				h[sinks.HeaderSchemaVersion] != sinks.SchemaVersion {
				t.Errorf("alert record key %q headers %v match no alert", r.Key, h)
			}
		})
	}
	return values
}

// assertExactlyOnce checks that docs are the documents of the alerts whose
// delivery keys are want, each once, each valid in form.
func assertExactlyOnce(t *testing.T, where string, form sinks.Form, docs [][]byte,
	want map[string]bool) {
	t.Helper()
	seen := map[string]int{}
	for i, doc := range docs {
		key, err := deliveryKeyOf(doc, form)
		if err != nil {
			t.Errorf("%s: document %d: %v:\n%s", where, i, err, doc)
			continue
		}
		seen[key]++
	}
	for k := range want {
		if seen[k] != 1 {
			t.Errorf("%s: alert %s arrived %d times, want once", where, k, seen[k])
		}
	}
	for k := range seen {
		if !want[k] {
			t.Errorf("%s: alert %s was never published", where, k)
		}
	}
}

// deliveryKeyOf validates doc against the schema of form and returns the
// delivery key it carries.
func deliveryKeyOf(doc []byte, form sinks.Form) (string, error) {
	if form == sinks.FormOCSF {
		if err := sinks.ValidateOCSF(doc); err != nil {
			return "", err
		}
		var f sinks.OCSFFinding
		if err := json.Unmarshal(doc, &f); err != nil {
			return "", err
		}
		return f.Metadata.UID, nil
	}
	if err := sinks.ValidateAlert(doc); err != nil {
		return "", err
	}
	var a sinks.Alert
	if err := json.Unmarshal(doc, &a); err != nil {
		return "", err
	}
	return sinks.DeliveryKey(&a), nil
}

// A sink that cannot be built fails the service with the setting's name.
func TestServiceSinkSetupFails(t *testing.T) {
	brokers := testenv.Kafka(t)
	rdb, prefix := testenv.RedisNS(t)
	cfg := config.Default()
	cfg.Kafka.Brokers, cfg.Kafka.CreateTopics = brokers, false
	cfg.Redis.Addrs = []string{rdb.(*redis.Client).Options().Addr}
	cfg.Redis.Namespace = strings.TrimSuffix(prefix, ":")
	cfg.Sinks.File = filepath.Join(t.TempDir(), "alerts.jsonl")
	cfg.Sinks.DeadLetterFile = filepath.Join(t.TempDir(), "missing", "refused.jsonl")
	cfg.Sinks.SplunkHEC.URL, cfg.Sinks.SplunkHEC.Token = "https://splunk.example.com:8088", "t"

	_, err := newService(context.Background(), cfg, slog.New(slog.DiscardHandler), serviceOptions{})
	if err == nil || !strings.HasPrefix(err.Error(), "sinks.dead_letter_file: ") {
		t.Fatalf("newService = %v, want an error naming sinks.dead_letter_file", err)
	}
}

// Processing the same traffic twice, each time in a state namespace of its
// own (a replay's isolation), gives every sink documents with the same
// alert ids: the ids come from the rule, tenant, hash and episode start,
// never from when or where the alert was raised.
func TestReprocessingGivesTheSameIDsInEverySink(t *testing.T) {
	brokers := testenv.Kafka(t)
	rdb, prefix := testenv.RedisNS(t)
	runs := make([]map[string][]string, 2)
	for i := range runs {
		input := testenv.Topic(t, brokers, 3)
		cfg := config.Default()
		cfg.Kafka.Brokers, cfg.Kafka.Topics, cfg.Kafka.Group = brokers, []string{input}, input
		cfg.Kafka.AlertTopic = testenv.Topic(t, brokers, 1)
		cfg.Kafka.DeadLetterTopic = testenv.Topic(t, brokers, 1)
		cfg.Kafka.CreateTopics = false
		cfg.Redis.Addrs = []string{rdb.(*redis.Client).Options().Addr}
		cfg.Redis.Namespace = strings.TrimSuffix(prefix, ":") + "run" + strconv.Itoa(i)
		cfg.Sinks.Format = config.FormatOCSF
		cfg.Sinks.DeadLetterFile = filepath.Join(t.TempDir(), "refused.jsonl")
		webhook, hec, sentinel := fakeDestinations(t, &cfg.Sinks)
		alerts := runOver(t, cfg, "../../stream/testdata/synthetic-eventhub-message.ndjson")
		runs[i] = map[string][]string{"alert topic": keysOf(t, sinks.Form(cfg.Sinks.Format), alertTopic(t, cfg, alerts))}
		for _, d := range []*destination{webhook, hec, sentinel} {
			docs, _ := d.stored()
			form := sinks.Form(cfg.Sinks.Format)
			if d == webhook {
				form = sinks.FormFlarewatch
			}
			runs[i][d.name] = keysOf(t, form, docs)
		}
	}
	for sink, first := range runs[0] {
		if len(first) == 0 {
			t.Errorf("%s received nothing", sink)
		}
		if a, b := strings.Join(first, " "), strings.Join(runs[1][sink], " "); a != b {
			t.Errorf("%s: ids differ between the two runs:\n%s\n%s", sink, a, b)
		}
	}
}

// keysOf returns the sorted delivery keys (alert id and activity) of docs.
func keysOf(t *testing.T, form sinks.Form, docs [][]byte) []string {
	t.Helper()
	var keys []string
	for _, doc := range docs {
		k, err := deliveryKeyOf(doc, form)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
