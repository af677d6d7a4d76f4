package sinks

// The OCSF 1.3 Detection Finding (class 2004) as flarewatch fills it: the
// attributes it sets, not the whole class. Attributes flarewatch has no value
// for are omitted; what OCSF has no attribute for goes in Unmapped.

// OCSF identifiers of the Detection Finding class.
const (
	OCSFVersion     = "1.3.0"
	OCSFClassUID    = 2004
	OCSFCategoryUID = 2
)

// OCSFFinding is one alert as an OCSF Detection Finding. Times are
// milliseconds since the Unix epoch, as OCSF's timestamp_t.
type OCSFFinding struct {
	ActivityID   int    `json:"activity_id"`
	ActivityName string `json:"activity_name"`
	CategoryUID  int    `json:"category_uid"`
	CategoryName string `json:"category_name"`
	ClassUID     int    `json:"class_uid"`
	ClassName    string `json:"class_name"`
	TypeUID      int    `json:"type_uid"`
	TypeName     string `json:"type_name"`

	Time      int64  `json:"time"`
	StartTime int64  `json:"start_time"`
	EndTime   int64  `json:"end_time"`
	Count     int64  `json:"count"`
	Message   string `json:"message"`

	SeverityID   int    `json:"severity_id"`
	Severity     string `json:"severity"`
	ConfidenceID int    `json:"confidence_id"`
	Confidence   string `json:"confidence"`
	StatusID     int    `json:"status_id"`
	Status       string `json:"status"`
	StatusDetail string `json:"status_detail,omitempty"`

	FindingInfo OCSFFindingInfo  `json:"finding_info"`
	Evidences   []OCSFEvidence   `json:"evidences"`
	Device      *OCSFDevice      `json:"device,omitempty"`
	Resources   []OCSFResource   `json:"resources"`
	Metadata    OCSFMetadata     `json:"metadata"`
	Unmapped    OCSFUnmappedInfo `json:"unmapped"`
}

// OCSFFindingInfo is the finding_info object: what was found and why.
type OCSFFindingInfo struct {
	UID           string       `json:"uid"`
	Title         string       `json:"title"`
	Desc          string       `json:"desc"`
	Types         []string     `json:"types"`
	Analytic      OCSFAnalytic `json:"analytic"`
	Attacks       []OCSFAttack `json:"attacks"`
	CreatedTime   int64        `json:"created_time"`
	FirstSeenTime int64        `json:"first_seen_time"`
	LastSeenTime  int64        `json:"last_seen_time"`
	ModifiedTime  int64        `json:"modified_time"`
}

// OCSFAnalytic is the rule that produced the finding.
type OCSFAnalytic struct {
	UID    string `json:"uid"`
	Name   string `json:"name"`
	TypeID int    `json:"type_id"` // 1: Rule
	Type   string `json:"type"`
}

// OCSFAttack is one MITRE ATT&CK technique with its tactic.
type OCSFAttack struct {
	Tactic       *OCSFMitre `json:"tactic,omitempty"`
	Technique    OCSFMitre  `json:"technique"`
	SubTechnique *OCSFMitre `json:"sub_technique,omitempty"`
}

// OCSFMitre names a MITRE ATT&CK tactic, technique or sub-technique.
type OCSFMitre struct {
	UID  string `json:"uid"`
	Name string `json:"name,omitempty"`
}

// OCSFEvidence is one evidences entry: one remote address or URL the
// process reached and, in the first entry, the process and its account.
type OCSFEvidence struct {
	Actor       *OCSFActor    `json:"actor,omitempty"`
	Process     *OCSFProcess  `json:"process,omitempty"`
	DstEndpoint *OCSFEndpoint `json:"dst_endpoint,omitempty"`
	URL         *OCSFURL      `json:"url,omitempty"`
}

// OCSFActor is the account the process ran as.
type OCSFActor struct {
	User OCSFUser `json:"user"`
}

// OCSFUser is a user by name and SID.
type OCSFUser struct {
	Name string `json:"name"`
	UID  string `json:"uid,omitempty"`
}

// OCSFProcess is the process that connected out.
type OCSFProcess struct {
	Name string   `json:"name"`
	File OCSFFile `json:"file"`
}

// OCSFFile is the process's image file.
type OCSFFile struct {
	Name   string            `json:"name"`
	Path   string            `json:"path,omitempty"`
	TypeID int               `json:"type_id"` // 1: Regular File
	Type   string            `json:"type"`
	Hashes []OCSFFingerprint `json:"hashes"`
}

// OCSF fingerprint algorithm ids.
const (
	OCSFAlgorithmSHA1   = 2
	OCSFAlgorithmSHA256 = 3
)

// OCSFFingerprint is one hash of a file.
type OCSFFingerprint struct {
	AlgorithmID int    `json:"algorithm_id"`
	Algorithm   string `json:"algorithm"`
	Value       string `json:"value"`
}

// OCSFEndpoint is a remote network endpoint.
type OCSFEndpoint struct {
	IP   string `json:"ip"`
	Port int    `json:"port,omitempty"`
}

// OCSFURL is a remote URL.
type OCSFURL struct {
	URLString string `json:"url_string"`
}

// OCSFDevice is an affected device.
type OCSFDevice struct {
	UID      string `json:"uid"`
	Name     string `json:"name,omitempty"`
	Hostname string `json:"hostname,omitempty"`
	TypeID   int    `json:"type_id"` // 0: Unknown; the stream does not say
	Type     string `json:"type"`
}

// OCSFResource is an affected device as a resource_details entry, with the
// connections counted on it.
type OCSFResource struct {
	UID  string         `json:"uid"`
	Name string         `json:"name,omitempty"`
	Type string         `json:"type"`
	Data OCSFDeviceData `json:"data"`
}

// OCSFDeviceData is what a resource entry adds about its device.
type OCSFDeviceData struct {
	Count     int64 `json:"count"`
	FirstSeen int64 `json:"first_seen_time"`
	LastSeen  int64 `json:"last_seen_time"`
}

// OCSFMetadata is the metadata object.
type OCSFMetadata struct {
	Version        string      `json:"version"`
	Product        OCSFProduct `json:"product"`
	UID            string      `json:"uid"`
	CorrelationUID string      `json:"correlation_uid"`
}

// OCSFProduct names the product that made the finding.
type OCSFProduct struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
}

// OCSFUnmappedInfo carries the alert fields OCSF has no attribute for, under
// their flarewatch names, so that nothing of the alert is lost.
type OCSFUnmappedInfo struct {
	SchemaVersion    string   `json:"schema_version"`
	Profile          string   `json:"profile"`
	TenantID         string   `json:"tenant_id"`
	SHA1             string   `json:"sha1"`
	SHA256           []string `json:"sha256"`
	FileNames        []string `json:"file_names"`
	FolderPaths      []string `json:"folder_paths"`
	DeviceCount      int      `json:"device_count"`
	SignatureState   string   `json:"signature_state"`
	GlobalPrevalence *int64   `json:"global_prevalence"`
	ProfileSource    string   `json:"profile_source"`
	RemotePorts      []int    `json:"remote_ports"`
	RangesMatched    []string `json:"ranges_matched"`
	RangeListVersion string   `json:"range_list_version"`
	Truncated        bool     `json:"truncated,omitempty"`
}
