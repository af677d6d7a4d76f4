package gen

import (
	"net/netip"
	"strconv"
	"strings"
)

// tenant is one customer: its id and its Active Directory domain.
type tenant struct {
	id, domain, dns, sidBase string
}

// user is a domain account.
type user struct {
	name, sid, upn, domain, objectID string
}

// device is one onboarded machine.
type device struct {
	id, name, group  string
	localIP, localV6 string
	tenant, user     int
	reportID         int64 // the next ReportId, counted per device
}

var (
	domains    = [...]string{"contoso", "fabrikam", "northwind", "adatum", "tailspin", "woodgrove"}
	firstNames = [...]string{
		"anna", "ben", "chloe", "david", "emma", "farid", "grace", "hugo", "ines", "jakub",
		"kenji", "lena", "marco", "nadia", "oscar", "priya", "quentin", "rosa", "sven", "tara",
		"umar", "vera", "wei", "xavier", "yusuf", "zoe", "amir", "bianca", "carlos", "dana",
	}
	lastNames = [...]string{
		"khan", "smith", "muller", "rossi", "dubois", "garcia", "nowak", "tanaka", "silva",
		"jensen", "kowalski", "okafor", "larsen", "novak", "ivanova", "schmidt", "moreau",
		"berg", "costa", "walsh", "fischer", "haddad", "lindqvist", "meyer", "park",
	}
	serverRoles = [...]string{"app", "sql", "file", "web", "dc", "print", "build", "ts"}
)

// buildFleet creates tenants, their users and the devices.
func (g *generator) buildFleet() {
	for i, id := range g.o.Tenants {
		d := domains[i%len(domains)]
		if i >= len(domains) {
			d += strconv.Itoa(i / len(domains))
		}
		g.tenants = append(g.tenants, tenant{
			id: id, domain: d, dns: d + ".com",
			sidBase: "S-1-5-21-" + strconv.FormatUint(uint64(g.rng.Uint32()), 10) + "-" +
				strconv.FormatUint(uint64(g.rng.Uint32()), 10) + "-" +
				strconv.FormatUint(uint64(g.rng.Uint32()), 10),
		})
	}

	// Users: a few more than devices per tenant, names unique in a tenant.
	perTenant := g.o.Devices/len(g.tenants) + 4
	combos := len(firstNames) * len(lastNames)
	order := g.rng.Perm(combos)
	firstUser := make([]int, len(g.tenants))
	for t := range g.tenants {
		firstUser[t] = len(g.users)
		for i := range perTenant {
			c := order[i%combos]
			name := firstNames[c%len(firstNames)][:1] + "." + lastNames[c/len(firstNames)]
			if i >= combos {
				name += strconv.Itoa(i / combos)
			}
			if i < 3 {
				name = "adm-" + name
			}
			g.users = append(g.users, g.newUser(t, name, 1104+i))
		}
	}

	for i := range g.o.Devices {
		t := i % len(g.tenants)
		d := device{
			id:       deviceID(g.seed, i),
			tenant:   t,
			localIP:  "10." + strconv.Itoa(t%200) + "." + strconv.Itoa(i/250) + "." + strconv.Itoa(10+i%240),
			localV6:  ulaAddr(t, i),
			reportID: 1000 + g.rng.Int64N(90000),
		}
		if g.rng.IntN(100) < 12 {
			role := serverRoles[g.rng.IntN(len(serverRoles))]
			d.name = "srv-" + role + "-" + strconv.Itoa(10+i%90) + "." + g.tenants[t].dns
			d.group, d.user = "Servers", firstUser[t]+g.rng.IntN(3)
		} else {
			d.name = "lt-" + alnum(g.rng.Uint64(), 6) + "." + g.tenants[t].dns
			d.group, d.user = "Workstations", firstUser[t]+3+g.rng.IntN(perTenant-3)
			if g.rng.IntN(5) == 0 {
				d.group = "UnassignedGroup"
			}
		}
		g.devices = append(g.devices, d)
	}
}

func (g *generator) newUser(t int, name string, rid int) user {
	tn := g.tenants[t]
	return user{
		name:     name,
		sid:      tn.sidBase + "-" + strconv.Itoa(rid),
		upn:      name + "@" + tn.dns,
		domain:   tn.domain,
		objectID: userObjectID(g.seed, tn.id, name),
	}
}

// alnum writes n lower-case letters and digits taken from v.
func alnum(v uint64, n int) string {
	const set = "abcdefghijklmnopqrstuvwxyz0123456789"
	var sb strings.Builder
	for range n {
		sb.WriteByte(set[v%uint64(len(set))])
		v /= uint64(len(set))
	}
	return sb.String()
}

// ulaAddr is the unique local IPv6 address of device i of tenant t.
func ulaAddr(t, i int) string {
	b := [16]byte{0: 0xfd, 2: byte(t >> 8), 3: byte(t), 14: byte((i + 1) >> 8), 15: byte(i + 1)}
	return netip.AddrFrom16(b).String()
}
