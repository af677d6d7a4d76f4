package sinks

import (
	"fmt"
	"time"
)

// Form is the shape of the alert documents a sink writes.
type Form string

// The alert forms. The zero Form is FormFlarewatch.
const (
	FormFlarewatch Form = "flarewatch" // the Alert document, schema/alert.v1.schema.json
	FormOCSF       Form = "ocsf"       // the OCSF Detection Finding of Alert.OCSF
)

// ParseForm returns the Form named s; "" is FormFlarewatch.
func ParseForm(s string) (Form, error) {
	switch f := Form(s); f {
	case "", FormFlarewatch:
		return FormFlarewatch, nil
	case FormOCSF:
		return FormOCSF, nil
	}
	return "", fmt.Errorf("alert form %q: not one of %s, %s", s, FormFlarewatch, FormOCSF)
}

// Encode returns the JSON document of a in form f, without a trailing
// newline.
func Encode(a *Alert, f Form) ([]byte, error) {
	return appendForm(nil, a, f)
}

// appendForm appends the JSON document of a in form f to dst.
func appendForm(dst []byte, a *Alert, f Form) ([]byte, error) {
	switch f {
	case "", FormFlarewatch:
		return a.AppendJSON(dst)
	case FormOCSF:
		b, err := appendJSON(dst, a.OCSF())
		if err != nil {
			return dst, fmt.Errorf("encode alert %s as ocsf: %w", a.ID, err)
		}
		return b, nil
	}
	return dst, fmt.Errorf("encode alert %s: unknown form %q", a.ID, f)
}

// DeliveryKey identifies one alert document for a receiver that drops
// repeats: the webhook's Idempotency-Key header and the OCSF metadata.uid.
// It is the alert id and the activity ("fw-…:create", "fw-…:close"), and
// for an update also its last_seen ("fw-…:update:2025-01-15T09:41:12.5Z"):
// an episode has one create and at most one close but may have many
// updates, each for a device that joined, and a key of id and activity
// alone would make a receiver drop every update after the first. A document
// published again (a retried batch, a re-read, a replay) has the same key.
func DeliveryKey(a *Alert) string {
	k := a.ID + ":" + string(a.Activity)
	if a.Activity == ActivityUpdate {
		k += ":" + a.LastSeen.UTC().Format(time.RFC3339Nano)
	}
	return k
}
