package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xbcheck/xbcheck/internal/runner"
)

// TestRunFlagsAreCheckedBeforeAnythingStarts: every flag a run checks is
// checked with --dry-run too, where nothing starts at all, so each
// mistake below is a one-line usage error there, and no spec is listed.
func TestRunFlagsAreCheckedBeforeAnythingStarts(t *testing.T) {
	t.Chdir(t.TempDir())
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"gateway address with spaces": {[]string{"--gateway-address", "not an address"}, `--gateway-address "not an address" is not an IP address or host name`},
		"gateway address, bad port":   {[]string{"--gateway-address", "gw.example.com:http"}, `port "http" is not a number from 1 to 65535`},
		"gateway address, port 0":     {[]string{"--gateway-address", "192.0.2.1:0"}, `port "0"`},
		"gateway address, empty port": {[]string{"--gateway-address", "192.0.2.1:"}, `port ""`},
		"IPv6 in brackets, no port":   {[]string{"--gateway-address", "[2001:db8::1]"}, "is not an IP address or host name"},
		"gateway address, a URL":      {[]string{"--gateway-address", "http://gw.example.com"}, `port "//gw.example.com" is not a number`},
		"unknown fault":               {[]string{"--faults", "nosuch"}, "--faults"},
		"unknown timeout":             {[]string{"--timeout", "Nope=1s"}, "Nope"},
		"unknown supported feature":   {[]string{"--supported-features", "Nope"}, `--supported-features: unknown feature "Nope"`},
		"unknown exempt feature":      {[]string{"--exempt-features", "Nope"}, `--exempt-features: unknown feature "Nope"`},
		"unknown provider":            {[]string{"--provider", "nope"}, `--provider "nope"`},
		"unknown fakes place":         {[]string{"--fakes", "bogus"}, `--fakes "bogus"`},
		"keep-cluster on envtest":     {[]string{"--keep-cluster"}, "--keep-cluster keeps a cluster xbcheck starts"},
		"unknown first scenario":      {[]string{"--first", "NoSuchSpec"}, `--first "NoSuchSpec" is not a scenario's ShortName`},
		"vendor without identity":     {[]string{"--implementation-cmd", "true", "--project", "p"}, "needs the implementation's --organization"},
		"junit in a missing folder":   {[]string{"--junit-report", filepath.Join(missing, "junit.xml")}, "--junit-report " + filepath.Join(missing, "junit.xml") + ": its folder"},
		"report output is a file":     {[]string{"--report-output", file}, "--report-output " + file + " is a file"},
		"fakes-url not a URL":         {[]string{"--fakes-url", "notaurl"}, `--fakes-url "notaurl" is not an http URL`},
		"cluster domain with a space": {[]string{"--cluster-domain", "a b"}, `--cluster-domain "a b" is not a DNS domain`},
		"controller name, no path":    {[]string{"--controller-name", "x"}, `--controller-name "x" is not a Gateway API controller name`},
		"missing kubeconfig":          {[]string{"--kubeconfig", missing}, "cannot read --kubeconfig " + missing},
		"image registry with a space": {[]string{"--image-registry", "bad reg"}, `--image-registry "bad reg"`},
		"fakes image with a space":    {[]string{"--fakes-image", "bad img"}, `--fakes-image "bad img"`},
		"missing kind configuration":  {[]string{"--provider", "kind", "--kind-config", missing}, "--kind-config " + missing + " is not a readable file"},
		"gateway-api-version form":    {[]string{"--gateway-api-version", "1.7"}, `--gateway-api-version "1.7" is not a Gateway API release`},
	} {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"run", "--dry-run"}, tc.args...)
			out, err := execute(args...)
			var usage runner.UsageError
			if !errors.As(err, &usage) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("xbcheck %s: %v; want a usage error saying %q", strings.Join(args, " "), err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("not one line: %q", err)
			}
			if out != "" {
				t.Errorf("printed %q before refusing", out)
			}
		})
	}
}

func TestGatewayAddressTakesHostsAndIPsWithAnOptionalPort(t *testing.T) {
	for _, a := range []string{"192.0.2.10", "192.0.2.10:8080", "2001:db8::1", "[2001:db8::1]:8443", "gw.example.com", "Gateway.Example.com:80", "localhost", "fe80::1%eth0"} {
		out, err := execute("run", "--dry-run", "--gateway-address", a, "--label-filter", "RoutingPlainHTTP")
		if err != nil || !strings.HasPrefix(out, "RoutingPlainHTTP\t") {
			t.Errorf("--gateway-address %s: %v, %q; want it taken", a, err, out)
		}
	}
}

// fakeProxy is a Go module proxy in a folder (GOPROXY=file://...) that
// serves sigs.k8s.io/gateway-api at the given versions, and an empty
// module cache, so `go list -m` answers from them alone.
func fakeProxy(t *testing.T, versions ...string) {
	t.Helper()
	proxy := t.TempDir()
	dir := filepath.Join(proxy, "sigs.k8s.io", "gateway-api", "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, v := range versions {
		for ext, text := range map[string]string{".info": `{"Version":"` + v + `","Time":"2026-01-01T00:00:00Z"}`, ".mod": "module sigs.k8s.io/gateway-api\n"} {
			if err := os.WriteFile(filepath.Join(dir, v+ext), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "list"), []byte(strings.Join(versions, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOPROXY", "file://"+proxy)
	t.Setenv("GOSUMDB", "off")
	t.Setenv("GOMODCACHE", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // no release cached by xbcheck
}

func TestGatewayAPIVersionIsAReleaseTheProxyHas(t *testing.T) {
	fakeProxy(t, "v1.6.3")
	_, err := execute("run", "--dry-run", "--gateway-api-version", "v9.9.9")
	var usage runner.UsageError
	if !errors.As(err, &usage) || !strings.Contains(err.Error(), "--gateway-api-version v9.9.9: not found through the Go module proxy") || strings.Contains(err.Error(), "\n") {
		t.Errorf("v9.9.9, unknown to the proxy: %v; want a one-line usage error", err)
	}
	out, err := execute("run", "--dry-run", "--gateway-api-version", "v1.6.3", "--label-filter", "RoutingPlainHTTP")
	if err != nil || !strings.HasPrefix(out, "RoutingPlainHTTP\t") {
		t.Errorf("v1.6.3, which the proxy has: %v, %q; want the scenario listed", err, out)
	}
}

// Offline, a release in xbcheck's cache needs no proxy.
func TestGatewayAPIVersionInTheCacheNeedsNoProxy(t *testing.T) {
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOMODCACHE", t.TempDir())
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	if err := os.MkdirAll(filepath.Join(cache, "xbcheck", "gateway-api", "v1.6.3", "experimental"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := execute("run", "--dry-run", "--gateway-api-version", "v1.6.3", "--label-filter", "RoutingPlainHTTP")
	if err != nil || !strings.HasPrefix(out, "RoutingPlainHTTP\t") {
		t.Errorf("cached v1.6.3 with GOPROXY=off: %v, %q; want the scenario listed", err, out)
	}
	_, err = execute("run", "--dry-run", "--gateway-api-version", "v1.7.0")
	if err == nil || !strings.Contains(err.Error(), "GOPROXY=off") {
		t.Errorf("uncached v1.7.0 with GOPROXY=off: %v; want the proxy's refusal named", err)
	}
}
