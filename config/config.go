// Package config holds flarewatch's configuration: one typed struct, the
// defaults (Default), loading from a YAML file and the environment (Load),
// validation (Config.Validate), and the Cloudflare range lists the rule
// matches remote addresses against (RangeSet).
//
// It is the only package that reads the environment. Every setting can be
// overridden by a variable named after its YAML path; see EnvName.
package config

// Config is the whole configuration of flarewatch. Default returns it with
// every default filled in; Load reads it from a file and the environment.
type Config struct {
	Kafka      Kafka      `yaml:"kafka"`
	Redis      Redis      `yaml:"redis"`
	Rule       Rule       `yaml:"rule"`
	Enrichment Enrichment `yaml:"enrichment"`
	Sinks      Sinks      `yaml:"sinks"`

	// Tenants is TenantsShared (one state for every tenant in the input) or
	// TenantsSeparate (counts, episodes and alerts kept per tenant).
	Tenants string `yaml:"tenants"`

	Log     Log     `yaml:"log"`
	Metrics Metrics `yaml:"metrics"`

	// ShutdownTimeout bounds the graceful stop: finish in-flight work, commit,
	// flush the producer.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
}

// The values of Config.Tenants.
const (
	TenantsShared   = "shared"
	TenantsSeparate = "separate"
)

// Log configures the process log (log/slog).
type Log struct {
	// Level is debug, info, warn or error (slog.Level's text form).
	Level string `yaml:"level"`
	// Format is LogJSON or LogText.
	Format string `yaml:"format"`
}

// The values of Log.Format.
const (
	LogJSON = "json"
	LogText = "text"
)

// Metrics configures the Prometheus-format metrics endpoint.
type Metrics struct {
	// Listen is the host:port to serve metrics on; "" disables the endpoint.
	Listen string `yaml:"listen"`
	// OTLPEndpoint, when set, is an OpenTelemetry collector's OTLP/HTTP base
	// URL (for example http://collector:4318) to push metrics and traces to.
	OTLPEndpoint string `yaml:"otlp_endpoint"`
}
