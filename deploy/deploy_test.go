// Package deploy_test checks the deployment files without a container
// engine or a cluster: docker-compose.yml, deploy/Dockerfile and the Helm
// chart are parsed and their key facts asserted (services, probes, non-root,
// settings that flarewatch really has). With helm on PATH the chart is also
// linted and rendered.
package deploy_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/flarewatch/flarewatch/config"
)

const chart = "helm/flarewatch"

// readYAML decodes the YAML file at path (relative to deploy/) into v.
func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// settingVars returns the FLAREWATCH_* variable of every setting listed in
// config/example.yaml, which lists them all.
func settingVars(t *testing.T) map[string]bool {
	t.Helper()
	var doc map[string]any
	readYAML(t, "../config/example.yaml", &doc)
	vars := map[string]bool{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok {
				walk(prefix+k+".", sub)
				continue
			}
			vars[config.EnvName(prefix+k)] = true
		}
	}
	walk("", doc)
	return vars
}

// composeFile is the part of docker-compose.yml checked.
type composeFile struct {
	Name     string `yaml:"name"`
	Services map[string]struct {
		Image string `yaml:"image"`
		Build struct {
			Context    string `yaml:"context"`
			Dockerfile string `yaml:"dockerfile"`
		} `yaml:"build"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		User        string            `yaml:"user"`
		ReadOnly    bool              `yaml:"read_only"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
	} `yaml:"services"`
}

func TestCompose(t *testing.T) {
	var c composeFile
	readYAML(t, "../docker-compose.yml", &c)

	for _, s := range []string{"kafka", "kafka-init", "redis", "flarewatch", "gen", "alerts"} {
		if _, ok := c.Services[s]; !ok {
			t.Errorf("no service %q", s)
		}
	}
	if img := c.Services["kafka"].Image; img != "apache/kafka:4.1.1" {
		t.Errorf("kafka image = %q", img)
	}
	if img := c.Services["redis"].Image; !strings.HasPrefix(img, "redis:7") {
		t.Errorf("redis image = %q", img)
	}

	fw := c.Services["flarewatch"]
	if fw.Build.Dockerfile != "deploy/Dockerfile" || fw.Build.Context != "." {
		t.Errorf("flarewatch build = %+v, want deploy/Dockerfile from the top", fw.Build)
	}
	if !fw.ReadOnly || fw.User == "" || strings.HasPrefix(fw.User, "0") || fw.User == "root" {
		t.Errorf("flarewatch read_only %v, user %q: want read-only and non-root", fw.ReadOnly, fw.User)
	}
	if got := fw.Environment["FLAREWATCH_KAFKA_BROKERS"]; got != "kafka:9092" {
		t.Errorf("FLAREWATCH_KAFKA_BROKERS = %q", got)
	}
	known := settingVars(t)
	for v := range fw.Environment {
		if !known[v] {
			t.Errorf("flarewatch's %s is no setting of config/example.yaml", v)
		}
	}

	// The environment must make a valid configuration of the image's file.
	lookup := func(k string) (string, bool) { v, ok := fw.Environment[k]; return v, ok }
	if _, err := config.LoadFrom("../config/example.yaml", lookup); err != nil {
		t.Errorf("example.yaml with flarewatch's environment: %v", err)
	}

	gen := c.Services["gen"]
	if gen.Image != fw.Image || len(gen.Command) == 0 || gen.Command[0] != "gen" {
		t.Errorf("gen = image %q, command %q: want flarewatch's image running gen", gen.Image, gen.Command)
	}
	args := strings.Join(gen.Command, " ")
	if !strings.Contains(args, "--topic mde-events") || !strings.Contains(args, "--brokers kafka:9092") {
		t.Errorf("gen command %q lacks --topic mde-events --brokers kafka:9092", args)
	}
	alerts := strings.Join(c.Services["alerts"].Command, " ")
	if !strings.Contains(alerts, "kafka-console-consumer") || !strings.Contains(alerts, "flarewatch-alerts") {
		t.Errorf("alerts command %q does not print the alert topic", alerts)
	}
}

func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var stages []string
	instr := map[string][]string{} // instruction -> arguments, in the last stage
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		word, rest, _ := strings.Cut(line, " ")
		word = strings.ToUpper(word)
		if word == "FROM" {
			stages = append(stages, rest)
			instr = map[string][]string{}
		}
		instr[word] = append(instr[word], rest)
	}
	text := string(data)

	if len(stages) != 2 || !strings.HasPrefix(stages[0], "golang:") {
		t.Errorf("stages %q: want a golang build stage and a final one", stages)
	}
	final := stages[len(stages)-1]
	if !strings.HasPrefix(final, "gcr.io/distroless/static") && final != "scratch" {
		t.Errorf("final stage from %q", final)
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", `-ldflags="-s -w"`} {
		if !strings.Contains(text, want) {
			t.Errorf("the build lacks %s", want)
		}
	}
	if u := instr["USER"]; len(u) != 1 || strings.HasPrefix(u[0], "0") || strings.HasPrefix(u[0], "root") {
		t.Errorf("USER %q: want one non-root user", u)
	}
	if e := instr["EXPOSE"]; !slices.Contains(e, "9464") {
		t.Errorf("EXPOSE %q: want 9464", e)
	}
	for word, want := range map[string][]string{
		"ENTRYPOINT": {"/flarewatch"},
		"CMD":        {"run", "--config", "/etc/flarewatch/config.yaml"},
	} {
		var got []string
		if len(instr[word]) != 1 || json.Unmarshal([]byte(instr[word][0]), &got) != nil ||
			!slices.Equal(got, want) {
			t.Errorf("%s %q, want the exec form of %q", word, instr[word], want)
		}
	}
}

// chartValues is the part of values.yaml checked.
type chartValues struct {
	ReplicaCount int            `yaml:"replicaCount"`
	Config       map[string]any `yaml:"config"`
	Secrets      map[string]any `yaml:"secrets"`
	Service      struct {
		Port int `yaml:"port"`
	} `yaml:"service"`
	LivenessProbe  probe `yaml:"livenessProbe"`
	ReadinessProbe probe `yaml:"readinessProbe"`
	PodSecurity    struct {
		RunAsNonRoot bool `yaml:"runAsNonRoot"`
		RunAsUser    int  `yaml:"runAsUser"`
	} `yaml:"podSecurityContext"`
	Security struct {
		ReadOnlyRootFilesystem   bool `yaml:"readOnlyRootFilesystem"`
		AllowPrivilegeEscalation bool `yaml:"allowPrivilegeEscalation"`
	} `yaml:"securityContext"`
	Resources struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	PDB struct {
		Enabled bool `yaml:"enabled"`
	} `yaml:"podDisruptionBudget"`
	ServiceMonitor struct {
		Enabled bool `yaml:"enabled"`
	} `yaml:"serviceMonitor"`
	TerminationGrace int `yaml:"terminationGracePeriodSeconds"`
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

func TestChartValues(t *testing.T) {
	var meta struct {
		APIVersion string `yaml:"apiVersion"`
		Name       string `yaml:"name"`
		Version    string `yaml:"version"`
	}
	readYAML(t, chart+"/Chart.yaml", &meta)
	if meta.APIVersion != "v2" || meta.Name != "flarewatch" ||
		!regexp.MustCompile(`^\d+\.\d+\.\d+`).MatchString(meta.Version) {
		t.Errorf("Chart.yaml = %+v", meta)
	}

	var v chartValues
	readYAML(t, chart+"/values.yaml", &v)
	if v.LivenessProbe.HTTPGet.Path != "/healthz" || v.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("probes on %q and %q, want /healthz and /readyz",
			v.LivenessProbe.HTTPGet.Path, v.ReadinessProbe.HTTPGet.Path)
	}
	if v.LivenessProbe.HTTPGet.Port != "metrics" || v.ReadinessProbe.HTTPGet.Port != "metrics" {
		t.Error("probes not on the metrics port")
	}
	if v.Service.Port != 9464 {
		t.Errorf("service port %d, want 9464", v.Service.Port)
	}
	if !v.PodSecurity.RunAsNonRoot || v.PodSecurity.RunAsUser == 0 {
		t.Errorf("pod security %+v: want non-root", v.PodSecurity)
	}
	if !v.Security.ReadOnlyRootFilesystem || v.Security.AllowPrivilegeEscalation {
		t.Errorf("container security %+v: want a read-only root and no escalation", v.Security)
	}
	if v.Resources.Requests["cpu"] == "" || v.Resources.Limits["memory"] == "" {
		t.Errorf("resources %+v: want cpu requests and a memory limit", v.Resources)
	}
	if !v.PDB.Enabled {
		t.Error("no PodDisruptionBudget by default")
	}
	if v.ServiceMonitor.Enabled {
		t.Error("the ServiceMonitor needs the Prometheus Operator: off by default")
	}
	if v.ReplicaCount < 1 {
		t.Errorf("replicaCount %d", v.ReplicaCount)
	}

	// The chart's configuration, with the test values, is one flarewatch
	// accepts, and serves metrics on the probed port.
	var ci chartValues
	readYAML(t, chart+"/ci/test-values.yaml", &ci)
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	data, err := yaml.Marshal(merge(v.Config, ci.Config))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFrom(cfgPath, nil)
	if err != nil {
		t.Fatalf("the chart's config.yaml:\n%s\n%v", data, err)
	}
	if cfg.Metrics.Listen != ":9464" {
		t.Errorf("metrics.listen %q, want :9464 like the probes", cfg.Metrics.Listen)
	}
	if grace := cfg.ShutdownTimeout.Std().Seconds(); float64(v.TerminationGrace) <= grace {
		t.Errorf("terminationGracePeriodSeconds %d does not exceed shutdown_timeout %vs",
			v.TerminationGrace, grace)
	}
}

// merge returns a deep copy of base with over's keys laid on top.
func merge(base, over map[string]any) map[string]any {
	out := maps.Clone(base)
	for k, v := range over {
		b, bok := out[k].(map[string]any)
		o, ook := v.(map[string]any)
		if bok && ook {
			out[k] = merge(b, o)
		} else {
			out[k] = v
		}
	}
	return out
}

func TestChartTemplates(t *testing.T) {
	files := map[string][]string{
		"deployment.yaml": {"livenessProbe", "readinessProbe", "secretKeyRef",
			"FLAREWATCH_KAFKA_SASL_PASSWORD", "FLAREWATCH_REDIS_PASSWORD",
			"checksum/config", "/etc/flarewatch/config.yaml"},
		"configmap.yaml":      {"config.yaml", "fail"},
		"service.yaml":        {"publishNotReadyAddresses: true", "targetPort: metrics"},
		"pdb.yaml":            {"kind: PodDisruptionBudget"},
		"servicemonitor.yaml": {"kind: ServiceMonitor", ".Values.serviceMonitor.enabled", "/metrics"},
	}
	known := settingVars(t)
	secretVar := regexp.MustCompile(`FLAREWATCH_[A-Z0-9_]+`)
	for name, wants := range files {
		data, err := os.ReadFile(filepath.Join(chart, "templates", name))
		if err != nil {
			t.Error(err)
			continue
		}
		for _, w := range wants {
			if !bytes.Contains(data, []byte(w)) {
				t.Errorf("templates/%s lacks %q", name, w)
			}
		}
		for _, v := range secretVar.FindAll(data, -1) {
			if !known[string(v)] {
				t.Errorf("templates/%s sets %s, no setting of config/example.yaml", name, v)
			}
		}
	}
}

// TestHelm lints and renders the chart when helm is installed.
func TestHelm(t *testing.T) {
	helm, err := exec.LookPath("helm")
	if err != nil {
		t.Skip("helm is not on PATH")
	}
	values := filepath.Join(chart, "ci", "test-values.yaml")
	run := func(args ...string) []byte {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), helm, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("helm %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.Bytes())
		}
		return out
	}
	run("lint", "--strict", chart, "-f", values)
	out := run("template", "fw", chart, "-f", values)

	kinds := map[string]int{}
	var configYAML string
	dec := yaml.NewDecoder(bytes.NewReader(out))
	for {
		var doc struct {
			Kind string            `yaml:"kind"`
			Data map[string]string `yaml:"data"`
		}
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("rendered chart: %v", err)
		}
		if doc.Kind != "" {
			kinds[doc.Kind]++
		}
		if doc.Kind == "ConfigMap" {
			configYAML = doc.Data["config.yaml"]
		}
	}

	// The rendered config.yaml is one flarewatch loads.
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(configYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := config.LoadFrom(cfgPath, nil); err != nil {
		t.Errorf("rendered config.yaml:\n%s\n%v", configYAML, err)
	}
	for _, k := range []string{"ConfigMap", "Deployment", "Service", "PodDisruptionBudget",
		"ServiceMonitor", "ServiceAccount"} {
		if kinds[k] != 1 {
			t.Errorf("rendered %d %s, want 1 (all: %v)", kinds[k], k, kinds)
		}
	}

	// Without brokers the chart refuses to render.
	cmd := exec.CommandContext(t.Context(), helm, "template", "fw", chart)
	if err := cmd.Run(); err == nil {
		t.Error("helm template without config.kafka.brokers succeeded")
	}
}
