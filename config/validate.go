package config

import (
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
)

// Validate reports every bad setting in c, joined (errors.Join), each a
// *FieldError naming the field by its YAML path and saying how to fix it.
// The error matches ErrInvalid. Validate reads no file and no environment.
func (c Config) Validate() error {
	return c.validate().err()
}

func (c Config) validate() problems {
	var p problems
	c.Kafka.validate(&p, c.Sinks)
	c.Redis.validate(&p)
	c.Rule.validate(&p)
	c.Enrichment.validate(&p)
	c.Sinks.validate(&p)
	oneOf(&p, "tenants", c.Tenants, TenantsShared, TenantsSeparate)
	c.Log.validate(&p)
	if c.Metrics.Listen != "" {
		hostPort(&p, "metrics.listen", c.Metrics.Listen, ":9464")
	}
	positive(&p, "shutdown_timeout", c.ShutdownTimeout)
	return p
}

func (l Log) validate(p *problems) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(l.Level)); err != nil {
		p.add("log.level", "%q is not a log level: use debug, info, warn or error", l.Level)
	}
	oneOf(p, "log.format", l.Format, LogJSON, LogText)
}

// SlogLevel returns Level as a slog.Level, slog.LevelInfo when it does not
// parse (Validate reports that).
func (l Log) SlogLevel() slog.Level {
	var level slog.Level
	if err := level.UnmarshalText([]byte(l.Level)); err != nil {
		return slog.LevelInfo
	}
	return level
}

// required reports a missing setting; when, if not "", says in which case
// the setting is needed ("with enrichment.provider mde").
func required(p *problems, field, when string) {
	if when != "" {
		when = " " + when
	}
	p.add(field, "required%s: set it in the file or %s", when, EnvName(field))
}

// oneOf reports value when it is not one of allowed.
func oneOf(p *problems, field, value string, allowed ...string) {
	if !slices.Contains(allowed, value) {
		p.add(field, "%q is not one of %s", value, strings.Join(allowed, ", "))
	}
}

// positive reports a duration that is zero or negative.
func positive(p *problems, field string, d Duration) {
	if d <= 0 {
		p.add(field, "must be positive, got %s", d)
	}
}

// nonNegative reports a negative duration.
func nonNegative(p *problems, field string, d Duration) {
	if d < 0 {
		p.add(field, "must not be negative, got %s: 0 turns it off", d)
	}
}

// atLeastOne reports a count below 1.
func atLeastOne(p *problems, field string, n int64) {
	if n < 1 {
		p.add(field, "must be at least 1, got %d", n)
	}
}

// hostPort reports an address that is not host:port.
func hostPort(p *problems, field, addr, example string) {
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
		p.add(field, "%q is not host:port, e.g. %s", addr, example)
	}
}

// addrList checks a required list of host:port addresses.
func addrList(p *problems, field string, addrs []string, example string) {
	if len(addrs) == 0 {
		required(p, field, "")
	}
	for i, addr := range addrs {
		hostPort(p, fmt.Sprintf("%s[%d]", field, i), addr, example)
	}
}
