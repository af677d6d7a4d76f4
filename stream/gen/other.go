package gen

// The other tables carry only a few plausible columns here: the rule never
// reads them, and they are in the traffic to be routed away. Process and
// file events do carry SHA1, InitiatingProcessSHA1 and a System account, and
// logon events a RemoteIP, so that a rule which does not route by category
// is caught.

// Files of the background DeviceFileEvents, by who writes them.
var (
	userFiles = [...]string{
		"report_q3.xlsx", "invoice_2291.pdf", "~wrl0004.tmp", "meeting notes.docx",
		"screenshot 2025-01-14 101512.png", "export.csv", "setup.msi", "archive.zip",
	}
	systemFiles = [...]string{
		"mpcache-1a2b.bin", "setup.log", "wuredir.cab", "tmp8c21.tmp", "edb.chk", "cache.dat",
	}
	fileActions = [...]string{
		"FileCreated", "FileCreated", "FileModified", "FileRenamed", "FileDeleted",
	}
)

// process writes the columns of a DeviceProcessEvents record: bin starts,
// and its parent is the initiating process.
func (r *renderer) process(s *spec, d *device) {
	b := &r.g.bins[s.bin]
	ac := r.g.accountOf(r.rng, s.acct, d)
	r.str("ActionType", "ProcessCreated")
	r.str("FileName", b.name)
	r.str("SHA1", b.sha1)
	r.str("AccountName", ac.name)

	// Children of explorer run as the user; of services, as System.
	parent := acctSystem
	if s.acct == acctUser {
		parent = acctUser
	}
	r.initiatingBrief(b.parentBin, parent, d)
}

// file writes the columns of a DeviceFileEvents record: bin is the file
// written, or, when -1, a document or cache file of the account's kind.
func (r *renderer) file(s *spec, d *device) {
	a := s.acct
	if a == acctLocalized {
		a = acctSystem
	}
	writer := pick(r.rng, r.g.picks[a])
	if s.bin >= 0 {
		b := &r.g.bins[s.bin]
		r.str("ActionType", "FileCreated")
		r.str("FileName", b.name)
		r.folder("FolderPath", b, d)
		r.str("SHA1", b.sha1)
	} else {
		name, dir := systemFiles[r.rng.IntN(len(systemFiles))], `c:\windows\temp\`
		if s.acct == acctUser {
			name = userFiles[r.rng.IntN(len(userFiles))]
			dir = `c:\users\` + r.g.users[d.user].name + `\downloads\`
		}
		r.str("ActionType", fileActions[r.rng.IntN(len(fileActions))])
		r.str("FileName", name)
		r.str("FolderPath", dir+name)
		r.key("SHA1")
		r.b = append(r.b, '"')
		r.b = appendRandHex(r.b, r.rng, 20)
		r.b = append(r.b, '"')
	}
	r.initiatingBrief(writer, s.acct, d)
}

// logon writes the columns of a DeviceLogonEvents record: the device's
// user logs on, locally or from s.remote; bin is lsass or winlogon.
func (r *renderer) logon(s *spec, d *device) {
	u := &r.g.users[d.user]
	ok := r.rng.IntN(10) > 0
	if ok {
		r.str("ActionType", "LogonSuccess")
	} else {
		r.str("ActionType", "LogonFailed")
	}
	remoteIP, kind := "", "Interactive"
	switch s.remote {
	case rPrivate:
		remoteIP, kind = privateV4(r.rng), "Network"
	case rPublicV4:
		remoteIP, kind = publicV4(r.rng), "RemoteInteractive"
	case rCloudflareV4:
		remoteIP, kind = cloudflareV4Addr(r.rng), "RemoteInteractive"
	}
	r.str("LogonType", kind)
	r.str("AccountName", u.name)
	if !ok {
		r.str("FailureReason", "InvalidUserNameOrPassword")
	}
	r.strOrNull("RemoteIP", remoteIP)
	r.initiatingBrief(s.bin, s.acct, d)
}
