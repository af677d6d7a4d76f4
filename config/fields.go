package config

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// This file is the walk over Config's settings by YAML path that the file
// decoder, the environment overrides, secret resolution and redaction share,
// so that a field added to a section is loaded, overridable and redacted
// with no further code.

var (
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	secretType          = reflect.TypeFor[Secret]()
)

// yamlName returns the YAML key of a struct field, "" when it has none.
func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// isSection reports whether a value of type t is a mapping of further
// settings rather than one setting.
func isSection(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && !reflect.PointerTo(t).Implements(textUnmarshalerType)
}

// joinPath appends a key to a YAML path.
func joinPath(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// walk calls fn for every setting under the struct v, in declaration order,
// with its YAML path. v must be addressable for fn to set it.
func walk(v reflect.Value, prefix string, fn func(path string, v reflect.Value)) {
	t := v.Type()
	for i := range t.NumField() {
		name := yamlName(t.Field(i))
		if name == "" {
			continue
		}
		path := joinPath(prefix, name)
		if isSection(t.Field(i).Type) {
			walk(v.Field(i), path, fn)
			continue
		}
		fn(path, v.Field(i))
	}
}

// settingPaths returns the YAML path of every setting in Config.
func settingPaths() []string {
	var paths []string
	walk(reflect.ValueOf(&Config{}).Elem(), "", func(path string, _ reflect.Value) {
		paths = append(paths, path)
	})
	return paths
}

// setText sets the setting v from its text form, the same for a YAML scalar
// and an environment variable. A list is comma separated. The messages
// quote s, which is safe because a Secret, being a string, never fails.
func setText(v reflect.Value, s string) error {
	if u, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
		return u.UnmarshalText([]byte(s))
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not a boolean: write true or false", s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if errors.Is(err, strconv.ErrRange) {
			return fmt.Errorf("%q is out of range for a %d-bit integer", s, v.Type().Bits())
		}
		if err != nil {
			return fmt.Errorf("%q is not an integer", s)
		}
		v.SetInt(n)
	case reflect.Slice:
		return setList(v, splitList(s))
	default:
		return fmt.Errorf("settings of type %s are not supported", v.Type())
	}
	return nil
}

// setList sets the list setting v.
func setList(v reflect.Value, items []string) error {
	if v.Type().Elem().Kind() != reflect.String {
		return fmt.Errorf("lists of %s are not supported", v.Type().Elem())
	}
	if len(items) == 0 {
		v.SetZero()
		return nil
	}
	list := reflect.MakeSlice(v.Type(), len(items), len(items))
	for i, s := range items {
		list.Index(i).SetString(s)
	}
	v.Set(list)
	return nil
}

// splitList splits a comma-separated list, trimming spaces and dropping
// empty items.
func splitList(s string) []string {
	var items []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}
