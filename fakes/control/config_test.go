package control

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xbcheck/xbcheck/fakes/upstream"
)

const exampleYAML = `
control:
  addr: 127.0.0.1:0
pki:
  caCommonName: test CA
dns:
  zone: xbcheck.test.
  addr: 127.0.0.1:0
internet: 203.0.113.0/24
allow: [10.244.0.0/16, 169.254.169.254]
upstreams:
- role: api
  addr: 127.0.0.1:0
  hostname: api.xbcheck.test
  tls: Valid
  protocols: [HTTP/1.1, HTTP/2]
  uris: [spiffe://xbcheck.test/api]
- role: plain
canaries:
- name: admin
  addrs: [127.0.0.2:0, "[::1]:0"]
`

var exampleConfig = Config{
	Control:  ControlConfig{Addr: "127.0.0.1:0"},
	PKI:      PKIConfig{CACommonName: "test CA"},
	DNS:      DNSConfig{Zone: "xbcheck.test.", Addr: "127.0.0.1:0"},
	Internet: "203.0.113.0/24",
	Allow:    []string{"10.244.0.0/16", "169.254.169.254"},
	Upstreams: []UpstreamConfig{
		{Role: "api", Addr: "127.0.0.1:0", Hostname: "api.xbcheck.test", TLS: upstream.TLSValid,
			Protocols: []upstream.Protocol{upstream.HTTP1, upstream.HTTP2}, URIs: []string{"spiffe://xbcheck.test/api"}},
		{Role: "plain"},
	},
	Canaries: []CanaryConfig{{Name: "admin", Addrs: []string{"127.0.0.2:0", "[::1]:0"}}},
}

func TestParseConfigReadsYAMLAndJSON(t *testing.T) {
	for name, data := range map[string]string{
		"yaml": exampleYAML,
		"json": `{"control":{"addr":"127.0.0.1:0"},"pki":{"caCommonName":"test CA"},"dns":{"zone":"xbcheck.test.","addr":"127.0.0.1:0"},
			"internet":"203.0.113.0/24","allow":["10.244.0.0/16","169.254.169.254"],
			"upstreams":[{"role":"api","addr":"127.0.0.1:0","hostname":"api.xbcheck.test","tls":"Valid","protocols":["HTTP/1.1","HTTP/2"],"uris":["spiffe://xbcheck.test/api"]},{"role":"plain"}],
			"canaries":[{"name":"admin","addrs":["127.0.0.2:0","[::1]:0"]}]}`,
	} {
		cfg, err := ParseConfig([]byte(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(cfg, exampleConfig) {
			t.Errorf("%s: parsed %+v, want %+v", name, cfg, exampleConfig)
		}
	}
}

func TestParseConfigAcceptsAnEmptyFile(t *testing.T) {
	if _, err := ParseConfig(nil); err != nil {
		t.Errorf("an empty config: %v, want the defaults", err)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct{ name, yaml, mention string }{
		{"an unknown field", "upstreams:\n- role: api\n  hostnme: api.xbcheck.test\n", "upstreams[0].hostnme: unknown field; use one of role, addr, hostname,"},
		{"an unknown section", "dsn: {zone: xbcheck.test.}\n", "dsn: unknown field; use one of control, pki, dns, internet, allow, upstreams, canaries"},
		{"a key given twice", "dns: {zone: a.test.}\ndns: {zone: b.test.}\n", `"dns" already set`},
		{"not YAML", "upstreams: [\n", "yaml: line"},
		{"a field of the wrong type", "canaries: {name: admin}\n", "canaries"},
		{"an idle exit that is no duration", "control: {exitWhenIdle: soon}\n", `control.exitWhenIdle: "soon" is not a positive duration`},
		{"a control address without a port", "control: {addr: 127.0.0.1}\n", `control.addr: "127.0.0.1" is not host:port`},
		{"a DNS address with a bad port", "dns: {addr: 127.0.0.1:99999}\n", `dns.addr: "127.0.0.1:99999" has port "99999"`},
		{"a DNS address that is a host name", "dns: {addr: 'localhost:53'}\n", `has host "localhost"; use an IP address`},
		{"a zone that is not a name", "dns: {zone: 'a..b'}\n", `dns.zone: "a..b" is not a domain name`},
		{"an upstream without a role", "upstreams: [{addr: 127.0.0.1:0}]\n", "upstreams[0].role: empty"},
		{"two upstreams with one role", "upstreams: [{role: api}, {role: api}]\n", `upstreams[1].role: "api" is used twice`},
		{"an unknown TLS mode", "upstreams: [{role: api, hostname: a.xbcheck.test, tls: valid}]\n", `upstreams[0].tls: "valid" is not a TLS mode; use one of "None", "Valid"`},
		{"TLS without a hostname", "upstreams: [{role: api, tls: Expired}]\n", "upstreams[0].hostname: empty, but TLS mode Expired"},
		{"an unknown protocol", "upstreams: [{role: api, protocols: [HTTP/3]}]\n", `upstreams[0].protocols[0]: "HTTP/3" is not a protocol`},
		{"HTTP/2 in cleartext", "upstreams: [{role: api, protocols: [HTTP/2]}]\n", "upstreams[0].protocols[0]: HTTP/2 is negotiated by ALPN and needs TLS"},
		{"a relative URI", "upstreams: [{role: api, hostname: a.xbcheck.test, tls: Valid, uris: [api]}]\n", `upstreams[0].uris[0]: "api" is not an absolute URI`},
		{"a canary without a name", "canaries: [{addrs: ['127.0.0.2:0']}]\n", "canaries[0].name: empty"},
		{"two canaries with one name", "canaries: [{name: a, addrs: ['127.0.0.2:0']}, {name: a, addrs: ['127.0.0.3:0']}]\n", `canaries[1].name: "a" is used twice`},
		{"a canary without addresses", "canaries: [{name: admin}]\n", "canaries[0].addrs: empty"},
		{"a canary with an empty address", "canaries: [{name: admin, addrs: ['']}]\n", "canaries[0].addrs[0]: empty"},
		{"a canary address without a port", "canaries: [{name: admin, addrs: ['127.0.0.2']}]\n", `canaries[0].addrs[0]: "127.0.0.2" is not host:port`},
		{"an internet that is not a prefix", "internet: 203.0.113.0\n", `internet: "203.0.113.0" is not an address prefix`},
		{"an allow entry that is a name", "allow: [pods]\n", `allow[0]: "pods" is neither an address prefix nor an address`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(c.yaml))
			if err == nil {
				t.Fatalf("%q parsed; want an error mentioning %q", c.yaml, c.mention)
			}
			if msg := err.Error(); !strings.Contains(msg, c.mention) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line mentioning %q", msg, c.mention)
			}
		})
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "fakes.yaml")
	if err := os.WriteFile(good, []byte(exampleYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	if cfg, err := LoadConfig(good); err != nil || !reflect.DeepEqual(cfg, exampleConfig) {
		t.Errorf("LoadConfig(%s) = %+v, %v; want the example", good, cfg, err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("canaries: [{name: admin}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(bad); err == nil || !strings.HasPrefix(err.Error(), bad+": ") {
		t.Errorf("LoadConfig(%s): %v; want an error starting with the path", bad, err)
	}
	if _, err := LoadConfig(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "give the path of a YAML or JSON file") {
		t.Errorf("LoadConfig of a missing file: %v; want an error saying what to give", err)
	}
}

// TestStartRefusesWhatCannotListen checks that a fake that cannot listen fails Start
// with its own message, and that the fakes started before it are closed again.
func TestStartRefusesWhatCannotListen(t *testing.T) {
	first := startStandalone(t)
	sum, err := first.Local().Summary(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	taken := sum.Canaries[0].Addrs[0].String()
	dnsAddr := freeUDPAddr(t)
	cfg := Config{DNS: DNSConfig{Addr: dnsAddr}, Canaries: []CanaryConfig{{Name: "again", Addrs: []string{taken}}}}
	if _, err := Start(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "cannot listen on "+taken) {
		t.Fatalf("Start with a canary on the taken %s: %v; want a cannot-listen error", taken, err)
	}
	again, err := net.ListenPacket("udp", dnsAddr)
	if err != nil {
		t.Fatalf("the DNS server started before the failure still holds %s: %v", dnsAddr, err)
	}
	again.Close()
	if _, err := Start(t.Context(), Config{Canaries: []CanaryConfig{{Name: "admin"}}}); err == nil || !strings.Contains(err.Error(), "canaries[0].addrs") {
		t.Errorf("Start with an invalid config: %v; want the validation error", err)
	}
}

// freeUDPAddr returns a loopback address whose UDP port was free a moment ago.
func freeUDPAddr(t *testing.T) string {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().String()
}

// TestStandaloneGuard checks which addresses the control API of a standalone process
// may start fakes on, without binding any of them.
func TestStandaloneGuard(t *testing.T) {
	cfg := Config{
		Internet:  "203.0.113.0/24",
		Allow:     []string{"10.244.0.0/16", "169.254.169.254"},
		Upstreams: []UpstreamConfig{{Role: "api", Addr: "192.0.2.10:443"}, {Role: "any", Addr: ":8080"}},
		Canaries:  []CanaryConfig{{Name: "pod", Addrs: []string{"[fd00:ec2::254]:80"}}},
	}
	guard := cfg.guard()
	for addr, allowed := range map[string]bool{
		"203.0.113.9": true, "10.244.3.4": true, "169.254.169.254": true, "192.0.2.10": true, "fd00:ec2::254": true,
		"::ffff:10.244.0.1": true, "169.254.169.253": false, "192.0.2.11": false, "198.51.100.1": false, "0.0.0.0": false,
	} {
		err := guard(netip.MustParseAddr(addr))
		if (err == nil) != allowed {
			t.Errorf("guard(%s) = %v, want allowed %v", addr, err, allowed)
		}
	}
}

// TestStandaloneStartsConfigFakesWhereTheySay checks the config's own fakes keep the
// addresses they had before fakes could be started at run time: 127.0.0.1 by
// default, not the simulated internet, which is for the control API.
func TestStandaloneStartsConfigFakesWhereTheySay(t *testing.T) {
	s, err := Start(t.Context(), Config{Internet: "127.0.9.32/28", Upstreams: []UpstreamConfig{{Role: "plain"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sum, err := s.Local().Summary(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := sum.Upstreams[0].Addr.Addr().String(); got != "127.0.0.1" {
		t.Errorf("an upstream of the config without addr listens on %s, want 127.0.0.1", got)
	}
	info, err := (&Remote{URL: s.URL()}).StartUpstream(t.Context(), UpstreamSpec{Role: "late"})
	if err != nil || info.Addr.Addr().String() != "127.0.9.33" {
		t.Errorf("an upstream started through the API: %+v, %v; want the first address of internet, 127.0.9.33", info, err)
	}
}
