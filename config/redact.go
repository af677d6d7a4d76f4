package config

import (
	"bytes"
	"fmt"
	"reflect"

	"go.yaml.in/yaml/v3"
)

// Redacted returns a copy of c with every non-empty Secret replaced by
// RedactedValue, so that not even Reveal can leak it. The copy shares no
// list with c.
func (c Config) Redacted() Config {
	walk(reflect.ValueOf(&c).Elem(), "", func(_ string, v reflect.Value) {
		switch {
		case v.Kind() == reflect.Slice && !v.IsNil():
			clone := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
			reflect.Copy(clone, v)
			v.Set(clone)
		case v.Type() == secretType && v.String() != "":
			v.SetString(RedactedValue)
		}
	})
	return c
}

// YAML returns the configuration as YAML, in the file's shape, secrets
// redacted: what "flarewatch check" prints.
func (c Config) YAML() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(c.Redacted()); err != nil {
		return nil, fmt.Errorf("marshal config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("marshal config: %w", err)
	}
	return buf.Bytes(), nil
}
