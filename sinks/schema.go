package sinks

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The published JSON Schemas (draft 2020-12) of the two alert forms. The
// files live in sinks/schema and are linked from docs/alerts.md.
const (
	AlertSchemaFile = "schema/alert.v1.schema.json"
	OCSFSchemaFile  = "schema/ocsf-detection-finding.schema.json"
)

//go:embed schema/*.json
var schemaFS embed.FS

// ErrInvalidDocument is wrapped by the errors of ValidateAlert and
// ValidateOCSF when a document does not match its schema.
var ErrInvalidDocument = errors.New("document does not match its schema")

// Schema returns the bytes of one of the embedded schema files, by its path
// (AlertSchemaFile or OCSFSchemaFile).
func Schema(file string) ([]byte, error) {
	return schemaFS.ReadFile(file)
}

// compiled holds the schemas, compiled once on first use.
var compiled struct {
	once  sync.Once
	alert *jsonschema.Schema
	ocsf  *jsonschema.Schema
	err   error
}

// ValidateAlert checks doc, one alert document in the flarewatch form,
// against schema/alert.v1.schema.json, formats included. The error wraps
// ErrInvalidDocument and says which field is wrong.
func ValidateAlert(doc []byte) error {
	s, _, err := schemas()
	if err != nil {
		return err
	}
	return validate(s, doc, "alert")
}

// ValidateOCSF checks doc, one alert in the OCSF form, against
// schema/ocsf-detection-finding.schema.json. The error wraps
// ErrInvalidDocument.
func ValidateOCSF(doc []byte) error {
	_, s, err := schemas()
	if err != nil {
		return err
	}
	return validate(s, doc, "ocsf finding")
}

// validate decodes doc and validates it against s.
func validate(s *jsonschema.Schema, doc []byte, what string) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("%s: %w: not JSON: %w", what, ErrInvalidDocument, err)
	}
	if err := s.Validate(v); err != nil {
		return fmt.Errorf("%s: %w: %w", what, ErrInvalidDocument, err)
	}
	return nil
}

// schemas compiles the embedded schemas on first use.
func schemas() (alert, ocsf *jsonschema.Schema, err error) {
	compiled.once.Do(func() {
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		c.AssertFormat()
		compiled.alert, compiled.err = compileFile(c, AlertSchemaFile)
		if compiled.err == nil {
			compiled.ocsf, compiled.err = compileFile(c, OCSFSchemaFile)
		}
	})
	return compiled.alert, compiled.ocsf, compiled.err
}

// compileFile adds an embedded schema to c under a local URL and compiles it.
func compileFile(c *jsonschema.Compiler, file string) (*jsonschema.Schema, error) {
	b, err := schemaFS.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read embedded %s: %w", file, err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("parse embedded %s: %w", file, err)
	}
	url := "embedded:///" + file
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("load embedded %s: %w", file, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("compile embedded %s: %w", file, err)
	}
	return s, nil
}
