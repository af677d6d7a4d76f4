package enrich

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/segmentio/encoding/json"
)

// The SignatureState values the mde provider gives, as FileProfile names
// them.
const (
	sigSignedValid   = "SignedValid"
	sigSignedInvalid = "SignedInvalid"
	sigUnsigned      = "Unsigned"
	sigUnknown       = "Unknown"
)

// mdeFile is the part of the Defender file API's file entity the provider
// reads; the other members (globalFirstObserved, size, fileType, issuer,
// signerHash, determinationType …) are ignored.
type mdeFile struct {
	SHA1               string       `json:"sha1"`
	SHA256             string       `json:"sha256"`
	GlobalPrevalence   *json.Number `json:"globalPrevalence"`
	Signer             *string      `json:"signer"`
	IsValidCertificate *bool        `json:"isValidCertificate"`
}

// mdeProfile maps the body of a 200 answer for sha1 onto a profile; ok is
// false when the answer has no global prevalence, which makes the file
// unknown as in the file provider. See MDE for the mapping.
func mdeProfile(sha1 string, body []byte) (p Profile, ok bool, err error) {
	var f mdeFile
	if err := json.Unmarshal(body, &f); err != nil {
		return Profile{}, false, fmt.Errorf("decode file entity: %w", err)
	}
	if f.GlobalPrevalence == nil {
		return Profile{}, false, nil
	}
	n, err := parseCount(*f.GlobalPrevalence)
	if err != nil {
		return Profile{}, false, fmt.Errorf("decode file entity: globalPrevalence: %w", err)
	}
	p = Profile{
		SHA1:             sha1,
		SignatureState:   signatureState(f.Signer, f.IsValidCertificate),
		GlobalPrevalence: n,
		Known:            true,
		Source:           NameMDE,
	}
	if s := strings.ToLower(strings.TrimSpace(f.SHA256)); isHex(s, 64) {
		p.SHA256 = s
	}
	return p, true, nil
}

// signatureState derives FileProfile's SignatureState from the signer and
// the certificate's validity.
func signatureState(signer *string, valid *bool) string {
	switch {
	case signer == nil || strings.TrimSpace(*signer) == "":
		return sigUnsigned
	case valid == nil:
		return sigUnknown
	case *valid:
		return sigSignedValid
	default:
		return sigSignedInvalid
	}
}

// parseCount reads a non-negative whole number, written as an integer or as a
// float with no fraction (180022.0).
func parseCount(n json.Number) (int64, error) {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil && i >= 0 {
		return i, nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f < 0 || f != math.Trunc(f) || f > math.MaxInt64 {
		return 0, fmt.Errorf("%q is not a count", string(n))
	}
	return int64(f), nil
}
