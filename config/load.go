package config

import (
	"fmt"
	"os"
)

// Load returns the configuration: Default, then the YAML file at path
// (none when path is ""), then the environment (see EnvName), with secret
// references resolved, validated. Every problem found is returned at once;
// those about settings match ErrInvalid.
func Load(path string) (Config, error) {
	return LoadFrom(path, os.LookupEnv)
}

// LoadFrom is Load with the environment read through lookup, for tests. A
// nil lookup reads no environment.
func LoadFrom(path string, lookup func(string) (string, bool)) (Config, error) {
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	c := Default()

	// A file that cannot be read or parsed stops here; problems with its
	// settings are reported with the others below.
	var p problems
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("read config: %w", err)
		}
		doc, err := parseYAML(data)
		if err != nil {
			return Config{}, fmt.Errorf("%s: %w", path, err)
		}
		p = decodeYAML(doc, &c)
	}

	// A setting that fails to parse keeps its previous value, so Validate
	// does not report it a second time.
	p = append(p, applyEnv(&c, lookup)...)
	p = append(p, resolveSecrets(&c, lookup)...)
	p = append(p, c.validate()...)
	if err := p.err(); err != nil {
		return Config{}, err
	}
	return c, nil
}
