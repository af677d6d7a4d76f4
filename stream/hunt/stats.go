package hunt

// Stats count what a hunt has taken in. A decoded record that is neither a
// counted event nor a certificate row inside the window is in Dropped or
// BadRecords, once.
type Stats struct {
	// Messages added, and those that could not be decoded at all.
	Messages, BadMessages int64

	// Records is the number of records decoded. BadRecords counts the
	// records that could not be decoded, which are not in Records, and
	// those whose Timestamp is missing or not ISO 8601, which are.
	Records, BadRecords int64

	// NetworkEvents and CertificateRows are the records of the two tables
	// the rule reads.
	NetworkEvents, CertificateRows int64

	// Counted is the number of distinct network events counted: candidates
	// inside the window, each identity once.
	Counted int64

	// Dropped counts the records not used, by reason: a rule.Verdict label
	// for a network event the rule does not keep, or one of the Drop
	// constants.
	Dropped map[string]int64
}

// Reasons a record is dropped, besides the rule's verdicts. They match the
// labels of the service's metrics.
const (
	DropTooOld            = "too_old"             // Timestamp at or before Now - Lookback
	DropDuplicate         = "duplicate"           // an event identity seen before
	DropOtherCategory     = "other_category"      // a table the rule does not read
	DropCertificateNoHash = "certificate_no_hash" // Default: a certificate row without a SHA1
)
