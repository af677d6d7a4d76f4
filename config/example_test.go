package config

import (
	"os"
	"reflect"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestExampleFile checks that example.yaml loads, sets exactly the
// defaults (and a broker), and names every setting.
func TestExampleFile(t *testing.T) {
	got, err := LoadFrom("example.yaml", nil)
	if err != nil {
		t.Fatalf("LoadFrom(example.yaml): %v", err)
	}
	want := Default()
	want.Kafka.Brokers = []string{"localhost:9092"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("example.yaml gives\n%+v\nwant the defaults\n%+v", got, want)
	}

	data, err := os.ReadFile("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var inFile []string
	collectPaths(doc.Content[0], "", &inFile)
	for _, path := range settingPaths() {
		if !slices.Contains(inFile, path) {
			t.Errorf("example.yaml does not show %s", path)
		}
	}
}

// collectPaths lists the paths of the leaf values in a YAML mapping.
func collectPaths(n *yaml.Node, prefix string, out *[]string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		path := joinPath(prefix, n.Content[i].Value)
		if n.Content[i+1].Kind == yaml.MappingNode {
			collectPaths(n.Content[i+1], path, out)
			continue
		}
		*out = append(*out, path)
	}
}
