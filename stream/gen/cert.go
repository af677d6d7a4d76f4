package gen

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"
)

// signer is who signed a file, as a certificate row shows it.
type signer struct {
	name, issuer, crl               string
	trusted, rootMicrosoft, catalog bool
	nameHash, issuerHash, serial    string
	created, expires                string
}

// Signers with a role of their own; the others are those of the catalog's
// companies.
const (
	signerSmallVendor = 8
	signerUnsigned    = 9 // a placeholder: unsigned programs have no row
	signerUntrusted   = 10
)

// signers are indexed by program.signer.
var signers = [...]signer{
	newSigner("Microsoft Windows", "Microsoft Windows Production PCA 2011", msCRL, true, true),
	newSigner(ms, "Microsoft Code Signing PCA 2011", msCRL, true, false),
	newSigner("Google LLC", digicertCS, "", true, false),
	newSigner("Tanium Inc.", digicertCS, "", true, false),
	newSigner("Mozilla Corporation", digicertCS, "", true, false),
	newSigner("Slack Technologies, LLC", digicertCS, "", true, false),
	newSigner("Zoom Video Communications, Inc.", digicertCS, "", true, false),
	newSigner("Spotify AB", "Sectigo Public Code Signing CA R36", "", true, false),
	newSigner("Lindqvist Software AB", "Sectigo Public Code Signing CA R36", "", true, false),
	{},
	newSigner("Revoked Vendor Ltd", "Example Code Signing CA", "", false, false),
}

const (
	msCRL      = `["http://www.microsoft.com/pkiops/crl/MicWinProPCA2011_2011-10-19.crl"]`
	digicertCS = "DigiCert Trusted G4 Code Signing RSA4096 SHA384 2021 CA1"
)

func newSigner(name, issuer, crl string, trusted, catalog bool) signer {
	h := sha1.Sum([]byte(name))
	ih := sha1.Sum([]byte(issuer))
	if crl == "" {
		crl = "[]"
	}
	return signer{
		name: name, issuer: issuer, crl: crl, trusted: trusted, catalog: catalog,
		rootMicrosoft: strings.HasPrefix(issuer, "Microsoft"),
		nameHash:      hex.EncodeToString(h[:]),
		issuerHash:    hex.EncodeToString(ih[:]),
		serial:        hex.EncodeToString(h[:10]),
		created:       fmt.Sprintf("2024-%02d-%02dT00:00:00Z", 1+h[0]%12, 1+h[1]%28),
		expires:       fmt.Sprintf("2027-%02d-%02dT12:00:00Z", 1+h[2]%12, 1+h[3]%28),
	}
}

// cert writes the columns of a DeviceFileCertificateInfo record: for a
// program of the catalog or a trap, or for a file seen only on disk.
func (r *renderer) cert(s *spec) {
	var sg *signer
	r.key("SHA1")
	if s.bin >= 0 {
		b := &r.g.bins[s.bin]
		sg = &signers[b.signer]
		r.b = appendString(r.b, b.sha1)
	} else {
		sg = &signers[[...]int{0, 0, 1, 1, 1, 2, 8}[r.rng.IntN(7)]]
		r.b = append(r.b, '"')
		r.b = appendRandHex(r.b, r.rng, 20)
		r.b = append(r.b, '"')
	}
	r.boolean("IsSigned", true)
	if sg.catalog {
		r.str("SignatureType", "Catalog")
	} else {
		r.str("SignatureType", "Embedded")
	}
	r.str("Signer", sg.name)
	r.str("SignerHash", sg.nameHash)
	r.str("Issuer", sg.issuer)
	r.str("IssuerHash", sg.issuerHash)
	r.str("CertificateSerialNumber", sg.serial)
	r.str("CrlDistributionPointUrls", sg.crl)
	r.str("CertificateCreationTime", sg.created)
	r.str("CertificateExpirationTime", sg.expires)
	if r.rng.IntN(3) == 0 {
		r.stamp("CertificateCountersignatureTime", s.at-r.rng.Int64N(200*day), 0)
	} else {
		r.null("CertificateCountersignatureTime")
	}
	r.boolean("IsTrusted", sg.trusted)
	r.boolean("IsRootSignerMicrosoft", sg.rootMicrosoft)
}
