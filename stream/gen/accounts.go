package gen

import "math/rand/v2"

// acct is the account class an initiating process runs under.
type acct uint8

const (
	acctSystem    acct = iota // "system" or "SYSTEM", S-1-5-18
	acctService               // LOCAL SERVICE or NETWORK SERVICE
	acctUser                  // the device's domain user
	acctLocalized             // "système", S-1-5-18
	acctNone                  // no initiating process: every column null
)

// acctClasses is the number of classes background traffic picks from.
const acctClasses = 3

// account is how an initiating process's account appears in a record.
type account struct {
	name, domain, sid, upn, objectID string
	integrity, elevation             string
	session                          int64
}

// Well-known Windows SIDs.
const (
	sidSystem         = "S-1-5-18"
	sidLocalService   = "S-1-5-19"
	sidNetworkService = "S-1-5-20"
)

// The accounts of the operating system, as records name them.
var (
	systemAccount   = serviceAccount("system", "nt authority", sidSystem)
	systemUpper     = serviceAccount("SYSTEM", "NT AUTHORITY", sidSystem)
	localizedSystem = serviceAccount("système", "autorite nt", sidSystem)
	localService    = serviceAccount("local service", "nt authority", sidLocalService)
	networkService  = serviceAccount("network service", "nt authority", sidNetworkService)
)

func serviceAccount(name, domain, sid string) account {
	return account{
		name: name, domain: domain, sid: sid,
		integrity: "System", elevation: "TokenElevationTypeDefault",
	}
}

// accountOf draws how the account of class a appears on device d.
func (g *generator) accountOf(r *rand.Rand, a acct, d *device) account {
	switch a {
	case acctSystem:
		if r.IntN(5) == 0 {
			return systemUpper
		}
		return systemAccount
	case acctService:
		if r.IntN(2) == 0 {
			return localService
		}
		return networkService
	case acctLocalized:
		return localizedSystem
	case acctUser:
		u := &g.users[d.user]
		ac := account{
			name: u.name, domain: u.domain, sid: u.sid, upn: u.upn, objectID: u.objectID,
			integrity: "Medium", elevation: "TokenElevationTypeLimited", session: 1 + r.Int64N(2),
		}
		if r.IntN(20) == 0 {
			ac.integrity, ac.elevation = "High", "TokenElevationTypeFull"
		}
		return ac
	}
	return account{elevation: "None"}
}

// remote is the kind of peer a network event has.
type remote uint8

const (
	rPublicV4 remote = iota
	rPublicV6
	rPrivate
	rListen // a listening socket: empty RemoteIP
	rCloudflareV4
	rCloudflareMapped // ::ffff:a.b.c.d
	rCloudflareV6
)

// cloudflare reports whether the peer is in a Cloudflare range.
func (r remote) cloudflare() bool { return r >= rCloudflareV4 }

// backgroundRemote draws the peer of an ordinary network event: about 10%
// Cloudflare, the rest other public and private addresses.
func backgroundRemote(r *rand.Rand) remote {
	switch n := r.IntN(1000); {
	case n < 30:
		return rListen
	case n < 105:
		return rCloudflareV4
	case n < 115:
		return rCloudflareMapped
	case n < 130:
		return rCloudflareV6
	case n < 380:
		return rPrivate
	case n < 860:
		return rPublicV4
	default:
		return rPublicV6
	}
}
