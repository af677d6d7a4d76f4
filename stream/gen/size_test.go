package gen

import (
	"strings"
	"testing"
)

// networkColumns are the documented columns of DeviceNetworkEvents, with
// MachineGroup, which the streaming API adds.
var networkColumns = strings.Fields(`Timestamp DeviceId DeviceName ActionType RemoteIP RemotePort
	RemoteUrl LocalIP LocalPort Protocol LocalIPType RemoteIPType InitiatingProcessSHA1
	InitiatingProcessSHA256 InitiatingProcessMD5 InitiatingProcessFileName
	InitiatingProcessFileSize InitiatingProcessVersionInfoCompanyName
	InitiatingProcessVersionInfoProductName InitiatingProcessVersionInfoProductVersion
	InitiatingProcessVersionInfoInternalFileName InitiatingProcessVersionInfoOriginalFileName
	InitiatingProcessVersionInfoFileDescription InitiatingProcessId InitiatingProcessCommandLine
	InitiatingProcessCreationTime InitiatingProcessFolderPath InitiatingProcessParentFileName
	InitiatingProcessParentId InitiatingProcessParentCreationTime InitiatingProcessAccountDomain
	InitiatingProcessAccountName InitiatingProcessAccountSid InitiatingProcessAccountUpn
	InitiatingProcessAccountObjectId InitiatingProcessIntegrityLevel
	InitiatingProcessTokenElevation InitiatingProcessSessionId IsInitiatingProcessRemoteSession
	InitiatingProcessRemoteSessionDeviceName InitiatingProcessRemoteSessionIP
	InitiatingProcessUniqueId ReportId AppGuardContainerId AdditionalFields MachineGroup`)

// TestRecordSize checks the size of records against the real ones. The
// brief asked for 900 to 1600 bytes on average, but with every documented
// column present an all-null DeviceNetworkEvents record is already about
// 1,650 bytes (the live sample's is 2,589, the synthetic sample's about
// 1,800): at 70% network records the average cannot stay under 1,600.
// The bounds here hold network records to the samples' range and the
// average of all records to what that mix gives.
func TestRecordSize(t *testing.T) {
	_, recs := dataset(t, testOptions())
	var all, network, networkN int
	for i := range recs {
		r := &recs[i]
		all += r.size
		if r.category != networkCategory {
			continue
		}
		network += r.size
		networkN++
		if len(r.props) != len(networkColumns) {
			t.Fatalf("network record has %d columns, want %d", len(r.props), len(networkColumns))
		}
		for _, c := range networkColumns {
			if _, ok := r.props[c]; !ok {
				t.Fatalf("network record lacks %s", c)
			}
		}
	}
	if avg := all / len(recs); avg < 900 || avg > 1900 {
		t.Errorf("average record %d bytes, want 900 to 1900", avg)
	}
	if avg := network / networkN; avg < 1700 || avg > 2600 {
		t.Errorf("average network record %d bytes, want 1700 to 2600", avg)
	}
}
