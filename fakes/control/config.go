package control

import (
	"fmt"
	"maps"
	"net"
	"net/netip"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	mdns "github.com/miekg/dns"
	"sigs.k8s.io/yaml"

	"github.com/xbcheck/xbcheck/fakes/upstream"
)

// Config describes the fakes one standalone process runs. It is read from YAML or
// JSON (LoadConfig, ParseConfig); the zero value is valid: a DNS server and the
// control API on 127.0.0.1, free ports, no upstream and no canary.
//
// Upstreams and Canaries are started with the process and listen where they say.
// More are started through the control API: on loopback, in Internet, in an Allow
// prefix, or on an address of a fake of the config; anywhere else is refused.
type Config struct {
	Control ControlConfig `json:"control"`
	PKI     PKIConfig     `json:"pki"`
	DNS     DNSConfig     `json:"dns"`
	// Internet is the prefix an upstream started through the control API takes its
	// address from when its spec names no host; default DefaultInternet.
	Internet string `json:"internet,omitempty"`
	// Allow lists further prefixes (or single addresses) the control API may start
	// fakes on, such as this pod's own address.
	Allow     []string         `json:"allow,omitempty"`
	Upstreams []UpstreamConfig `json:"upstreams,omitempty"`
	Canaries  []CanaryConfig   `json:"canaries,omitempty"`
}

// ControlConfig says where the control API listens.
type ControlConfig struct {
	Addr string `json:"addr,omitempty"` // host:port; default DefaultControlAddr
	// ExitWhenIdle, a duration such as "5m", ends the process once the control API
	// has had no request for that long: fakes placed where nothing stops them (an
	// ephemeral container, which stays in its pod) go away after their run.
	ExitWhenIdle string `json:"exitWhenIdle,omitempty"`
}

// PKIConfig names the certificates the process makes at start. The CA signs every
// upstream certificate except UntrustedCA ones and verifies client certificates of
// ClientCertRequired upstreams; the client certificate is one it signed.
type PKIConfig struct {
	CACommonName     string `json:"caCommonName,omitempty"`     // default "xbcheck fakes CA"
	ClientCommonName string `json:"clientCommonName,omitempty"` // default "xbcheck gateway client"
}

// DNSConfig says where the rogue DNS server listens and for which zone.
type DNSConfig struct {
	Zone string `json:"zone,omitempty"` // default "xbcheck.test."
	Addr string `json:"addr,omitempty"` // host:port for UDP and TCP; default "127.0.0.1:0"
}

// UpstreamConfig is one fake upstream; see upstream.Config for the meaning of each field.
type UpstreamConfig struct {
	Role      string              `json:"role"`
	Addr      string              `json:"addr,omitempty"` // default "127.0.0.1:0"
	Hostname  string              `json:"hostname,omitempty"`
	TLS       upstream.TLSMode    `json:"tls,omitempty"`       // default None
	Protocols []upstream.Protocol `json:"protocols,omitempty"` // "HTTP/1.1", "HTTP/2", "h2c"
	URIs      []string            `json:"uris,omitempty"`      // extra URI SANs, e.g. spiffe://xbcheck.test/api
}

// CanaryConfig is one canary and the addresses it listens on.
type CanaryConfig struct {
	Name  string   `json:"name"`
	Addrs []string `json:"addrs"`
}

// Defaults of Config.
const (
	DefaultControlAddr      = "127.0.0.1:0"
	DefaultCACommonName     = "xbcheck fakes CA"
	DefaultClientCommonName = "xbcheck gateway client"
)

// LoadConfig reads and validates a YAML or JSON config file.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("fakes config: %v; give the path of a YAML or JSON file", err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// ParseConfig decodes YAML or JSON (JSON is YAML), refusing unknown fields, and
// validates the result.
func ParseConfig(data []byte) (Config, error) {
	var cfg Config
	if err := yaml.UnmarshalStrict(data, &cfg); err != nil {
		var doc any
		if yaml.Unmarshal(data, &doc) == nil {
			if at, fields := unknownField(doc, reflect.TypeFor[Config](), ""); at != "" {
				return Config{}, fmt.Errorf("fakes config: %s: unknown field; use one of %s", at, strings.Join(fields, ", "))
			}
		}
		return Config{}, fmt.Errorf("fakes config: %s; fix the file", oneLine(err))
	}
	return cfg, cfg.Validate()
}

// unknownField finds the first key of doc (a decoded YAML document) that t has no
// field for, and returns its path and the fields t has there.
func unknownField(doc any, t reflect.Type, at string) (string, []string) {
	switch t.Kind() {
	case reflect.Slice:
		items, _ := doc.([]any)
		for i, item := range items {
			if path, fields := unknownField(item, t.Elem(), fmt.Sprintf("%s[%d]", at, i)); path != "" {
				return path, fields
			}
		}
	case reflect.Struct:
		object, _ := doc.(map[string]any)
		fields := map[string]reflect.Type{}
		var names []string
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			fields[name] = f.Type
			names = append(names, name)
		}
		for _, key := range slices.Sorted(maps.Keys(object)) {
			path := strings.TrimPrefix(at+"."+key, ".")
			ft, ok := fields[key]
			if !ok {
				return path, names
			}
			if path, fields := unknownField(object[key], ft, path); path != "" {
				return path, fields
			}
		}
	}
	return "", nil
}

// oneLine drops the decoders' nested prefixes and joins lines, so the message fits one line.
func oneLine(err error) string {
	msg := err.Error()
	for _, prefix := range []string{"error converting YAML to JSON: ", "error unmarshaling JSON: ", "while decoding JSON: ", "json: "} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	return strings.Join(strings.Fields(msg), " ")
}

// Validate reports the first mistake in cfg, naming its place in the file; fixing it
// reveals the next, so every message stays one line.
func (cfg Config) Validate() error {
	if msg := checkAddr(cfg.Control.Addr); msg != "" {
		return invalid("control.addr", "%s", msg)
	}
	if d := cfg.Control.ExitWhenIdle; d != "" {
		if v, err := time.ParseDuration(d); err != nil || v <= 0 {
			return invalid("control.exitWhenIdle", "%q is not a positive duration; write one such as 5m", d)
		}
	}
	if z := cfg.DNS.Zone; z != "" {
		if _, ok := mdns.IsDomainName(z); !ok || z == "." {
			return invalid("dns.zone", "%q is not a domain name; use a zone such as xbcheck.test.", z)
		}
	}
	if msg := checkAddr(cfg.DNS.Addr); msg != "" {
		return invalid("dns.addr", "%s", msg)
	}
	if cfg.Internet != "" {
		if _, err := netip.ParsePrefix(cfg.Internet); err != nil {
			return invalid("internet", "%q is not an address prefix; write one such as 203.0.113.0/24", cfg.Internet)
		}
	}
	for i, a := range cfg.Allow {
		if _, err := parsePrefixOrAddr(a); err != nil {
			return invalid(fmt.Sprintf("allow[%d]", i), "%q is neither an address prefix nor an address; write one such as 10.244.0.0/16 or 169.254.169.254", a)
		}
	}
	roles := map[string]bool{}
	for i, u := range cfg.Upstreams {
		at := fmt.Sprintf("upstreams[%d]", i)
		if roles[u.Role] {
			return invalid(at+".role", "%q is used twice; give every upstream a unique role", u.Role)
		}
		roles[u.Role] = true
		if err := u.validate(at); err != nil {
			return err
		}
	}
	names := map[string]bool{}
	for i, c := range cfg.Canaries {
		at := fmt.Sprintf("canaries[%d]", i)
		switch {
		case c.Name == "":
			return invalid(at+".name", "empty; give every canary a unique name, such as metadata")
		case names[c.Name]:
			return invalid(at+".name", "%q is used twice; give every canary a unique name", c.Name)
		case len(c.Addrs) == 0:
			return invalid(at+".addrs", "empty; list the host:port addresses the canary listens on")
		}
		names[c.Name] = true
		for j, addr := range c.Addrs {
			if addr == "" {
				return invalid(fmt.Sprintf("%s.addrs[%d]", at, j), "empty; write a host:port such as 127.0.0.2:80")
			}
			if msg := checkAddr(addr); msg != "" {
				return invalid(fmt.Sprintf("%s.addrs[%d]", at, j), "%s", msg)
			}
		}
	}
	return nil
}

func (u UpstreamConfig) validate(at string) error {
	field, reason := u.spec().check()
	if msg := checkAddr(u.Addr); field == "" && msg != "" {
		field, reason = "addr", msg
	}
	if field != "" {
		return invalid(at+"."+field, "%s", reason)
	}
	return nil
}

// spec is what the config asks of the upstream, as the control API would; Addr
// keeps its meaning of the config (see Standalone.startStatic).
func (u UpstreamConfig) spec() UpstreamSpec {
	return UpstreamSpec{Role: u.Role, Addr: u.Addr, Hostname: u.Hostname, TLS: u.TLS, Protocols: u.Protocols, URIs: u.URIs}
}

// check names the first field of u that is wrong, and why, or returns "", "". The
// address and the PEM fields are read where they are used.
func (u UpstreamSpec) check() (field, reason string) {
	if u.Role == "" {
		return "role", "empty; give every upstream a unique role, such as api"
	}
	if u.TLS != "" && !slices.Contains(tlsModes, u.TLS) {
		return "tls", fmt.Sprintf("%q is not a TLS mode; use one of %s", u.TLS, joinQuoted(tlsModes))
	}
	tlsOn := u.TLS != "" && u.TLS != upstream.TLSNone
	if tlsOn && u.Hostname == "" {
		return "hostname", fmt.Sprintf("empty, but TLS mode %s puts it in the certificate; give the name clients ask for", u.TLS)
	}
	for j, p := range u.Protocols {
		switch {
		case !slices.Contains(protocols, p):
			return fmt.Sprintf("protocols[%d]", j), fmt.Sprintf("%q is not a protocol; use one of %s", p, joinQuoted(protocols))
		case p == upstream.HTTP2 && !tlsOn:
			return fmt.Sprintf("protocols[%d]", j), fmt.Sprintf("%s is negotiated by ALPN and needs TLS; set tls or use %s", p, upstream.H2C)
		}
	}
	for j, raw := range u.URIs {
		if parsed, err := url.Parse(raw); err != nil || parsed.Scheme == "" {
			return fmt.Sprintf("uris[%d]", j), fmt.Sprintf("%q is not an absolute URI; write one such as spiffe://xbcheck.test/api", raw)
		}
	}
	return "", ""
}

// parsePrefixOrAddr reads a prefix, or an address as the prefix holding only it.
func parsePrefixOrAddr(s string) (netip.Prefix, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	return p.Masked(), err
}

func invalid(at, format string, args ...any) error {
	return fmt.Errorf("fakes config: %s: %s", at, fmt.Sprintf(format, args...))
}

var (
	tlsModes = []upstream.TLSMode{upstream.TLSNone, upstream.TLSValid, upstream.TLSWrongSAN,
		upstream.TLSUntrustedCA, upstream.TLSExpired, upstream.TLSNotYetValid, upstream.TLSCommonNameOnly, upstream.TLSClientCertRequired,
		upstream.TLSIntermediate, upstream.TLSUntrustedIntermediate}
	protocols = []upstream.Protocol{upstream.HTTP1, upstream.HTTP2, upstream.H2C, upstream.TCP}
)

// checkAddr says what is wrong with a host:port to listen on, or returns "" (also for
// an empty one, which means the default).
func checkAddr(addr string) string {
	if addr == "" {
		return ""
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Sprintf("%q is not host:port; write one such as 127.0.0.1:8443 (port 0 picks a free one)", addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Sprintf("%q has port %q; use a number from 0 to 65535", addr, port)
	}
	if host != "" && net.ParseIP(host) == nil {
		return fmt.Sprintf("%q has host %q; use an IP address of this host (or none for all)", addr, host)
	}
	return ""
}

func joinQuoted[T ~string](values []T) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = strconv.Quote(string(v))
	}
	return strings.Join(quoted, ", ")
}

// withDefaults fills the defaults of every field left empty.
func (cfg Config) withDefaults() Config {
	if cfg.Control.Addr == "" {
		cfg.Control.Addr = DefaultControlAddr
	}
	if cfg.PKI.CACommonName == "" {
		cfg.PKI.CACommonName = DefaultCACommonName
	}
	if cfg.PKI.ClientCommonName == "" {
		cfg.PKI.ClientCommonName = DefaultClientCommonName
	}
	if cfg.Internet == "" {
		cfg.Internet = DefaultInternet
	}
	return cfg
}
