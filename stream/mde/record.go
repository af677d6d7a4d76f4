// Package mde decodes Microsoft Defender for Endpoint streaming-API messages:
// the Event Hubs envelope {"records":[...]} and the records inside it. It
// reads only the fields the rule needs and leaves everything else unread.
package mde

import (
	"bytes"

	"github.com/segmentio/encoding/json"
)

// Category is the table a record comes from, as the streaming API names it
// (without the "AdvancedHunting-" prefix).
type Category uint8

// The categories flarewatch acts on; every other table is Other.
const (
	Other Category = iota
	NetworkEvents
	CertificateInfo
)

// String returns the table name.
func (c Category) String() string {
	switch c {
	case NetworkEvents:
		return "DeviceNetworkEvents"
	case CertificateInfo:
		return "DeviceFileCertificateInfo"
	default:
		return "other"
	}
}

var (
	networkCategory = []byte("AdvancedHunting-DeviceNetworkEvents")
	certCategory    = []byte("AdvancedHunting-DeviceFileCertificateInfo")
)

func categoryOf(name []byte) Category {
	switch {
	case bytes.Equal(name, networkCategory):
		return NetworkEvents
	case bytes.Equal(name, certCategory):
		return CertificateInfo
	}
	return Other
}

// Record is one decoded record. The string fields the rule filters on are
// decoded eagerly; the ones only an alert needs stay raw JSON until Detail is
// called, so that a record which is not a candidate costs no allocation.
//
// A Record may point into the message bytes it was decoded from: it is valid
// only as long as those bytes are, and must be copied (see Detail) to be kept.
type Record struct {
	Category Category
	Index    int // position in the message's envelope
	TenantID string
	Raw      json.RawMessage // the record's own bytes

	// Shared by both tables.
	Timestamp json.RawMessage // a JSON string, or null
	DeviceID  string
	ReportID  json.RawMessage // a number, or a numeric string

	// DeviceNetworkEvents.
	AccountName string
	AccountSID  string
	RemoteIP    string
	ProcessSHA1 string

	// DeviceFileCertificateInfo.
	SHA1 string

	props properties
}

// wireRecord is the shape of a record on the wire. Keys match exactly: the
// streaming API's columns are PascalCase, and a record that carries both
// RemoteIP and remoteip must read the first.
type wireRecord struct {
	Category   json.RawMessage `json:"category"`
	TenantID   string          `json:"tenantId"`
	Properties properties      `json:"properties"`
}

type properties struct {
	Timestamp   json.RawMessage `json:"Timestamp"`
	DeviceID    string          `json:"DeviceId"`
	ReportID    json.RawMessage `json:"ReportId"`
	AccountName string          `json:"InitiatingProcessAccountName"`
	AccountSID  string          `json:"InitiatingProcessAccountSid"`
	RemoteIP    string          `json:"RemoteIP"`
	ProcessSHA1 string          `json:"InitiatingProcessSHA1"`
	SHA1        string          `json:"SHA1"`

	// Read only for candidates, by Detail.
	DeviceName  json.RawMessage `json:"DeviceName"`
	FolderPath  json.RawMessage `json:"InitiatingProcessFolderPath"`
	FileName    json.RawMessage `json:"InitiatingProcessFileName"`
	ProcessSHA2 json.RawMessage `json:"InitiatingProcessSHA256"`
	RemotePort  json.RawMessage `json:"RemotePort"`
	RemoteURL   json.RawMessage `json:"RemoteUrl"`
	AccountDom  json.RawMessage `json:"InitiatingProcessAccountDomain"`
}
