package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

const day = 24 * time.Hour

// Duration is a time.Duration that reads and writes as text with a day unit
// besides Go's: "30d", "1d12h", "15m", "500ms". A day is exactly 24 hours.
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// ParseDuration parses a Go duration (time.ParseDuration) optionally led by
// a whole number of days: "30d", "1d12h", "-2d", "90m".
func ParseDuration(s string) (Duration, error) {
	if s == "" {
		return 0, errors.New("empty duration: write e.g. 30d, 12h or 15m")
	}

	// Split off the sign so that "-1d12h" negates both parts.
	body, neg := s, false
	if body[0] == '-' || body[0] == '+' {
		body, neg = body[1:], body[0] == '-'
	}

	// Leading digits followed by 'd' are the days.
	var days int64
	i := 0
	for i < len(body) && body[i] >= '0' && body[i] <= '9' {
		i++
	}
	if i > 0 && i < len(body) && body[i] == 'd' {
		n, err := strconv.ParseInt(body[:i], 10, 64)
		if err != nil || n > math.MaxInt64/int64(day) {
			return 0, fmt.Errorf("duration %q: too many days", s)
		}
		days, body = n, body[i+1:]
	}

	var rest time.Duration
	if body != "" {
		var err error
		if rest, err = time.ParseDuration(body); err != nil || rest < 0 {
			return 0, fmt.Errorf("duration %q: not a duration: write e.g. 30d, 1d12h or 15m", s)
		}
	} else if days == 0 && i == 0 {
		return 0, fmt.Errorf("duration %q: not a duration: write e.g. 30d, 1d12h or 15m", s)
	}

	total := time.Duration(days) * day
	if rest > math.MaxInt64-total {
		return 0, fmt.Errorf("duration %q: out of range", s)
	}
	total += rest
	if neg {
		total = -total
	}
	return Duration(total), nil
}

// String formats d with whole days first and no zero units: "30d",
// "1d12h", "15m", "1h30m", "0s". ParseDuration reads it back.
func (d Duration) String() string {
	t := time.Duration(d)
	if t == 0 {
		return "0s"
	}
	sign := ""
	if t < 0 {
		if t == math.MinInt64 {
			return t.String() // cannot be negated; time.Duration's form parses back
		}
		sign, t = "-", -t
	}

	days, rest := t/day, t%day
	s := ""
	if days > 0 {
		s = strconv.FormatInt(int64(days), 10) + "d"
	}
	if rest > 0 {
		s += trimZeroUnits(rest.String())
	}
	return sign + s
}

// trimZeroUnits drops the zero minutes and seconds time.Duration.String
// writes after a larger unit: "12h0m0s" becomes "12h", "1h30m0s" "1h30m".
func trimZeroUnits(s string) string {
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// MarshalText implements encoding.TextMarshaler with String's form.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseDuration.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := ParseDuration(string(text))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalYAML writes d in String's form.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }
