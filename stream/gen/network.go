package gen

// conn is the connection a network event describes.
type conn struct {
	action, protocol     string
	remoteIP, remoteType string // remoteType "" is null
	localIP, localType   string
	url                  string
	remotePort           int64 // -1 is null
	localPort            int64
}

// Host names network events resolve, for RemoteUrl.
var (
	cloudflareHosts = [...]string{
		"cdnjs.cloudflare.com", "discord.com", "www.example-shop.com", "api.openai.com",
		"static.example-cdn.net", "gitlab.com", "cdn.jsdelivr.net", "one.one.one.one",
	}
	otherHosts = [...]string{
		"settings-win.data.microsoft.com", "login.microsoftonline.com", "clients2.google.com",
		"outlook.office365.com", "winatp-gw-weu.microsoft.com", "update.googleapis.com",
		"teams.microsoft.com", "ctldl.windowsupdate.com", "github.com", "slack.com",
	}
)

// network writes the columns of a DeviceNetworkEvents record.
func (r *renderer) network(s *spec, d *device) {
	c := r.conn(s, d)
	r.str("ActionType", c.action)
	r.str("RemoteIP", c.remoteIP)
	if c.remotePort < 0 {
		r.null("RemotePort")
	} else {
		r.num("RemotePort", c.remotePort)
	}
	r.strOrNull("RemoteUrl", c.url)
	r.str("LocalIP", c.localIP)
	r.num("LocalPort", c.localPort)
	r.str("Protocol", c.protocol)
	r.str("LocalIPType", c.localType)
	r.strOrNull("RemoteIPType", c.remoteType)
	r.initiating(s, d)
	r.null("AppGuardContainerId")
	switch c.action {
	case "SslConnectionInspected":
		r.additionalFields("direction", "Out", "server_name", c.url, "version", "TLSv13")
	case "HttpConnectionInspected":
		r.additionalFields("direction", "Out", "host", c.url, "method", "GET")
	default:
		r.additionalFields("direction", "Out")
	}
}

// conn draws the connection of a network event: a planted program talks
// to its fixed peers, everything else to random ones of the spec's kind.
func (r *renderer) conn(s *spec, d *device) conn {
	var b *program
	if s.bin >= 0 {
		b = &r.g.bins[s.bin]
	}
	c := conn{
		action: "ConnectionSuccess", protocol: "Tcp",
		localIP: d.localIP, localType: "Private", remoteType: "Public",
		remotePort: 443, localPort: 49152 + r.rng.Int64N(16384),
	}
	switch s.remote {
	case rListen:
		c.action, c.protocol, c.remoteType, c.remotePort = "ListeningConnectionCreated", "TcpV4", "", -1
		c.localIP, c.localPort = "0.0.0.0", [...]int64{135, 445, 5040, 7680, 49664}[r.rng.IntN(5)]
		return c
	case rPrivate:
		c.remoteIP, c.remoteType = privateV4(r.rng), "Private"
		c.remotePort = [...]int64{53, 88, 135, 389, 443, 445}[r.rng.IntN(6)]
		if r.rng.IntN(3) == 0 {
			c.action, c.remotePort = "InboundConnectionAccepted", c.localPort
			c.localPort = [...]int64{445, 3389, 5985}[r.rng.IntN(3)]
		}
		return c
	case rPublicV4:
		c.remoteIP, c.url = publicV4(r.rng), r.host(otherHosts[:])
	case rPublicV6:
		c.remoteIP, c.localIP, c.url = publicV6(r.rng), d.localV6, r.host(otherHosts[:])
	case rCloudflareV4, rCloudflareMapped:
		c.remoteIP, c.url = cloudflareV4Addr(r.rng), r.host(cloudflareHosts[:])
		if b != nil && len(b.peersV4) > 0 {
			c.remoteIP, c.url = b.peersV4[r.rng.IntN(len(b.peersV4))], r.maybe(b.url)
		}
		if s.remote == rCloudflareMapped {
			c.remoteIP, c.localIP = "::ffff:"+c.remoteIP, "::ffff:"+d.localIP
			c.remoteType, c.localType = "FourToSixMapping", "FourToSixMapping"
		}
	case rCloudflareV6:
		c.remoteIP, c.localIP, c.url = cloudflareV6Addr(r.rng), d.localV6, r.host(cloudflareHosts[:])
		if b != nil && len(b.peersV6) > 0 {
			c.remoteIP, c.url = b.peersV6[r.rng.IntN(len(b.peersV6))], r.maybe(b.url)
		}
	}
	c.action = r.outbound(b != nil && len(b.peersV4) > 0)
	switch c.action {
	case "DnsConnectionInspected":
		c.protocol, c.remotePort = "Udp", 53
	case "SslConnectionInspected", "HttpConnectionInspected":
		if c.url == "" { // an inspected connection always names its host
			c.url = otherHosts[r.rng.IntN(len(otherHosts))]
			if s.remote.cloudflare() {
				c.url = cloudflareHosts[r.rng.IntN(len(cloudflareHosts))]
			}
		}
	}
	return c
}

// outbound draws the ActionType of an outbound connection. A beacon is
// never inspected: its records keep the plain connection types.
func (r *renderer) outbound(beacon bool) string {
	n := r.rng.IntN(100)
	switch {
	case n < 80:
		return "ConnectionSuccess"
	case n < 88:
		return "ConnectionFailed"
	case n < 94 || beacon:
		return "ConnectionRequest"
	case n < 97:
		return "SslConnectionInspected"
	case n < 99:
		return "HttpConnectionInspected"
	}
	return "DnsConnectionInspected"
}

// host returns one of hosts, or "" (null) most of the time.
func (r *renderer) host(hosts []string) string {
	if r.rng.IntN(10) < 6 {
		return ""
	}
	return hosts[r.rng.IntN(len(hosts))]
}

// maybe returns s, or "" a third of the time.
func (r *renderer) maybe(s string) string {
	if r.rng.IntN(3) == 0 {
		return ""
	}
	return s
}
