package gen

import (
	"strconv"
	"strings"
)

// initiating writes every InitiatingProcess column of a network event:
// s.bin run under s.acct on device d. Many background records leave the
// columns MDE often has no value for (hashes but SHA1, version info, the
// process's start and command line) null; planted and trap programs keep
// them all.
func (r *renderer) initiating(s *spec, d *device) {
	if s.bin < 0 {
		r.noInitiating()
		return
	}
	b := &r.g.bins[s.bin]
	b.initiating = true
	ac := r.g.accountOf(r.rng, s.acct, d)
	sparse := b.backgrounds && r.rng.IntN(2) == 0
	r.str("InitiatingProcessSHA1", b.sha1)
	if b.noSHA256 || (b.backgrounds && r.rng.IntN(5) > 0) {
		r.null("InitiatingProcessSHA256")
	} else {
		r.str("InitiatingProcessSHA256", b.sha256)
	}
	r.optional(sparse, "InitiatingProcessMD5", b.md5)
	r.str("InitiatingProcessFileName", b.name)
	r.num("InitiatingProcessFileSize", b.size)
	if b.backgrounds && r.rng.IntN(5) > 0 {
		r.versionInfo(nil)
	} else {
		r.versionInfo(b)
	}
	r.num("InitiatingProcessId", r.g.pid(s.device, s.bin))
	r.optional(sparse, "InitiatingProcessCommandLine", b.cmd)
	if sparse {
		r.null("InitiatingProcessCreationTime")
	} else {
		r.stamp("InitiatingProcessCreationTime", r.processStart(s.device, s.bin, s.at), 7)
	}
	r.folder("InitiatingProcessFolderPath", b, d)
	r.str("InitiatingProcessParentFileName", b.parent)
	r.num("InitiatingProcessParentId", r.g.pid(s.device, b.parentBin))
	r.null("InitiatingProcessParentCreationTime")
	r.str("InitiatingProcessAccountDomain", ac.domain)
	r.str("InitiatingProcessAccountName", ac.name)
	r.str("InitiatingProcessAccountSid", ac.sid)
	r.optional(sparse, "InitiatingProcessAccountUpn", ac.upn)
	r.null("InitiatingProcessAccountObjectId")
	r.str("InitiatingProcessIntegrityLevel", ac.integrity)
	r.str("InitiatingProcessTokenElevation", ac.elevation)
	r.num("InitiatingProcessSessionId", ac.session)
	r.boolean("IsInitiatingProcessRemoteSession", false)
	r.null("InitiatingProcessRemoteSessionDeviceName")
	r.null("InitiatingProcessRemoteSessionIP")
	unique := mix(r.g.seed, uint64(s.device), uint64(s.bin)) >> 40
	r.str("InitiatingProcessUniqueId", strconv.FormatUint(unique, 10))
}

// optional writes v, or null when sparse or v is empty.
func (r *renderer) optional(sparse bool, k, v string) {
	if sparse {
		v = ""
	}
	r.strOrNull(k, v)
}

// noInitiating writes the InitiatingProcess columns of a network event MDE
// could not tie to a process: all null.
func (r *renderer) noInitiating() {
	r.null("InitiatingProcessSHA1")
	r.null("InitiatingProcessSHA256")
	r.null("InitiatingProcessMD5")
	r.null("InitiatingProcessFileName")
	r.null("InitiatingProcessFileSize")
	r.versionInfo(nil)
	r.num("InitiatingProcessId", 0)
	r.null("InitiatingProcessCommandLine")
	r.null("InitiatingProcessCreationTime")
	r.null("InitiatingProcessFolderPath")
	r.null("InitiatingProcessParentFileName")
	r.num("InitiatingProcessParentId", 0)
	r.null("InitiatingProcessParentCreationTime")
	r.null("InitiatingProcessAccountDomain")
	r.null("InitiatingProcessAccountName")
	r.null("InitiatingProcessAccountSid")
	r.null("InitiatingProcessAccountUpn")
	r.null("InitiatingProcessAccountObjectId")
	r.null("InitiatingProcessIntegrityLevel")
	r.str("InitiatingProcessTokenElevation", "None")
	r.null("InitiatingProcessSessionId")
	r.boolean("IsInitiatingProcessRemoteSession", false)
	r.null("InitiatingProcessRemoteSessionDeviceName")
	r.null("InitiatingProcessRemoteSessionIP")
	r.str("InitiatingProcessUniqueId", "0")
}

// initiatingBrief writes the few InitiatingProcess columns the other
// tables carry here: bin run under a.
func (r *renderer) initiatingBrief(bin int32, a acct, d *device) {
	if bin < 0 {
		r.null("InitiatingProcessFileName")
		r.null("InitiatingProcessSHA1")
		return
	}
	b := &r.g.bins[bin]
	b.initiating = true
	r.str("InitiatingProcessFileName", b.name)
	r.str("InitiatingProcessSHA1", b.sha1)
	r.str("InitiatingProcessAccountName", r.g.accountOf(r.rng, a, d).name)
}

// versionInfo writes the six InitiatingProcessVersionInfo columns, null
// where the program has none or b is nil.
func (r *renderer) versionInfo(b *program) {
	if b == nil {
		b = &program{}
	}
	internal, original := strings.TrimSuffix(b.name, ".exe"), b.name
	if b.company == "" {
		internal, original = "", ""
	}
	r.strOrNull("InitiatingProcessVersionInfoCompanyName", b.company)
	r.strOrNull("InitiatingProcessVersionInfoProductName", b.product)
	r.strOrNull("InitiatingProcessVersionInfoProductVersion", b.version)
	r.strOrNull("InitiatingProcessVersionInfoInternalFileName", internal)
	r.strOrNull("InitiatingProcessVersionInfoOriginalFileName", original)
	r.strOrNull("InitiatingProcessVersionInfoFileDescription", b.desc)
}

// processStart is when an instance of bin started on a device: stable for
// six hours of event time, never after at.
func (r *renderer) processStart(dev, bin int32, at int64) int64 {
	slot := floorTo(at, 6*hour)
	back := mix(r.g.seed, uint64(dev), uint64(bin), uint64(slot)) % uint64(6*hour)
	return slot - floorTo(int64(back), tick)
}
