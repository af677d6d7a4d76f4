package config

import (
	"reflect"
	"strings"
)

// EnvPrefix starts the name of every environment variable Load reads.
const EnvPrefix = "FLAREWATCH_"

// EnvName returns the environment variable that overrides the setting at a
// YAML path: EnvPrefix followed by the path upper-cased, with dots turned
// into underscores. So kafka.brokers is FLAREWATCH_KAFKA_BROKERS,
// kafka.sasl.password FLAREWATCH_KAFKA_SASL_PASSWORD, rule.ranges.file
// FLAREWATCH_RULE_RANGES_FILE and tenants FLAREWATCH_TENANTS.
//
// Every setting has one. A variable's value is read like a YAML scalar;
// a list is comma separated ("a:9092,b:9092"), and an empty value empties
// a list or a string.
func EnvName(path string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

// applyEnv overrides the settings of c for which lookup finds a variable.
func applyEnv(c *Config, lookup func(string) (string, bool)) problems {
	var p problems
	walk(reflect.ValueOf(c).Elem(), "", func(path string, v reflect.Value) {
		name := EnvName(path)
		s, ok := lookup(name)
		if !ok {
			return
		}
		if err := setText(v, s); err != nil {
			p.add(path, "%s: %v", name, err)
		}
	})
	return p
}

// resolveSecrets replaces every "env:" and "file:" Secret in c by the value
// it refers to.
func resolveSecrets(c *Config, lookup func(string) (string, bool)) problems {
	var p problems
	walk(reflect.ValueOf(c).Elem(), "", func(path string, v reflect.Value) {
		if v.Type() != secretType {
			return
		}
		s, err := Secret(v.String()).resolve(lookup)
		if err != nil {
			p.wrap(path, "", err)
			return
		}
		if s == RedactedValue {
			p.add(path, "is the %s placeholder from check's output: set the real value",
				RedactedValue)
			return
		}
		v.SetString(string(s))
	})
	return p
}
