package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// parseYAML parses a configuration file's text.
func parseYAML(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return &doc, nil
}

// decodeYAML applies the settings of a parsed document to c, leaving the
// settings it does not mention as they are. It walks the document against
// Config's yaml tags instead of handing it to yaml.Decoder, so that an
// unknown key, a key given twice and a bad value each come back as a
// FieldError naming the full path and line, all of them at once.
func decodeYAML(doc *yaml.Node, c *Config) problems {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil // an empty file sets nothing
	}
	var p problems
	decodeSection(doc.Content[0], reflect.ValueOf(c).Elem(), "", &p)
	return p
}

// decodeSection applies the mapping n to the section v at path prefix.
func decodeSection(n *yaml.Node, v reflect.Value, prefix string, p *problems) {
	n = resolveAlias(n)
	if isNull(n) {
		return // "kafka:" with nothing under it keeps the defaults
	}
	if n.Kind != yaml.MappingNode {
		p.add(orTop(prefix), "line %d: expected a mapping of settings", n.Line)
		return
	}

	keys := sectionKeys(v.Type())
	seen := make(map[string]int)
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		path := joinPath(prefix, key.Value)

		if first, dup := seen[key.Value]; dup {
			p.add(path, "line %d: set twice (first on line %d)", key.Line, first)
			continue
		}
		seen[key.Value] = key.Line

		idx, ok := keys[key.Value]
		if !ok {
			p.add(path, "line %d: unknown key; %s has %s", key.Line, orTop(prefix), knownKeys(keys))
			continue
		}
		field := v.Field(idx)
		if isSection(field.Type()) {
			decodeSection(val, field, path, p)
			continue
		}
		decodeSetting(val, field, path, p)
	}
}

// decodeSetting sets the setting v from the node n.
func decodeSetting(n *yaml.Node, v reflect.Value, path string, p *problems) {
	n = resolveAlias(n)
	if isNull(n) {
		v.SetZero() // "listen:" or "listen: ~" means empty
		return
	}

	if v.Kind() == reflect.Slice {
		if n.Kind != yaml.SequenceNode {
			p.add(path, "line %d: expected a list, e.g. [a, b]", n.Line)
			return
		}
		items := make([]string, 0, len(n.Content))
		for _, item := range n.Content {
			item = resolveAlias(item)
			if item.Kind != yaml.ScalarNode {
				p.add(path, "line %d: list items must be single values", item.Line)
				return
			}
			items = append(items, item.Value)
		}
		if err := setList(v, items); err != nil {
			p.add(path, "line %d: %v", n.Line, err)
		}
		return
	}

	if n.Kind != yaml.ScalarNode {
		p.add(path, "line %d: expected a single value, not a list or mapping", n.Line)
		return
	}
	if err := setText(v, n.Value); err != nil {
		p.add(path, "line %d: %v", n.Line, err)
	}
}

// sectionKeys maps the YAML keys of a section type to field indexes.
func sectionKeys(t reflect.Type) map[string]int {
	keys := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			keys[name] = i
		}
	}
	return keys
}

// knownKeys lists a section's keys for an unknown-key message.
func knownKeys(keys map[string]int) string {
	names := make([]string, 0, len(keys))
	for name := range keys {
		names = append(names, name)
	}
	slices.Sort(names)
	return "keys " + strings.Join(names, ", ")
}

// orTop names the top level of the document in messages.
func orTop(prefix string) string {
	if prefix == "" {
		return "the top level"
	}
	return prefix
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}
