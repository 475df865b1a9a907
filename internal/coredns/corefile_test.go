package coredns

import (
	"slices"
	"testing"
)

func TestServerKeys(t *testing.T) {
	for name, tc := range map[string]struct {
		corefile string
		want     []string
	}{
		"kind":               {kindCorefile, []string{".:53"}},
		"several":            {".:53 {\n}\ncluster.local:53 example.org {\n  whoami\n}\n", []string{".:53", "cluster.local:53", "example.org"}},
		"commas":             {"a.test, b.test,\n  c.test {\n}\n", []string{"a.test", "b.test", "c.test"}},
		"comments":           {"# xbcheck.test:53 {\n.:53 { # xbcheck.test {\n  whoami # }\n}\n", []string{".:53"}},
		"quotes":             {".:53 {\n  template IN A x {\n    answer \"{{ .Name }} 60 IN A 1.2.3.4 }\"\n  }\n}\nafter.test {\n}\n", []string{".:53", "after.test"}},
		"nested":             {".:53 {\n  hosts {\n    10.0.0.1 xbcheck.test\n  }\n}\n", []string{".:53"}},
		"snippet and import": {"(common) {\n  errors\n}\nimport more/*.conf\n.:53 {\n  import common\n}\n", []string{".:53"}},
		"CRLF":               {".:53 {\r\n}\r\nx.test {\r\n}", []string{".:53", "x.test"}},
		"escaped quote":      {".:53 {\n  x \"a \\\" { b\"\n}\nz.test {\n}\n", []string{".:53", "z.test"}},
	} {
		t.Run(name, func(t *testing.T) {
			if got := serverKeys(tc.corefile); !slices.Equal(got, tc.want) {
				t.Errorf("serverKeys = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSplitKey(t *testing.T) {
	for key, want := range map[string][2]string{
		".":                 {".", ""},
		".:53":              {".", "53"},
		"dns://.:5353":      {".", "5353"},
		"XBcheck.Test.:53":  {"xbcheck.test", "53"},
		"tls://example.org": {"example.org", ""},
		"10.0.0.0/8":        {"10.0.0.0/8", ""},
		"fd00::/8":          {"fd00::/8", ""},
		"in-addr.arpa:53":   {"in-addr.arpa", "53"},
	} {
		if zone, port := splitKey(key); zone != want[0] || port != want[1] {
			t.Errorf("splitKey(%q) = %q, %q; want %q, %q", key, zone, port, want[0], want[1])
		}
	}
}

func TestConflict(t *testing.T) {
	for corefile, want := range map[string]string{
		kindCorefile:                                   "",
		"test:53 {\n}\n":                               "",
		"notxbcheck.test {\n}\n":                       "",
		"xbcheck.test:5353 {\n}\n":                     "xbcheck.test:5353",
		"deep.a.xbcheck.test {\n}\n":                   "deep.a.xbcheck.test",
		".:53 {\n  forward xbcheck.test 10.0.0.1\n}\n": "",
	} {
		if got := conflict(corefile, "xbcheck.test"); got != want {
			t.Errorf("conflict(%q) = %q, want %q", corefile, got, want)
		}
	}
}

func TestClusterDomain(t *testing.T) {
	for _, tc := range []struct{ name, corefile, want string }{
		{"kind", kindCorefile, "cluster.local"},
		{"custom domain after a reverse zone", ".:53 {\n  kubernetes in-addr.arpa Corp.Internal. {\n  }\n}", "corp.internal"},
		{"no kubernetes plugin", ".:53 {\n    forward . /etc/resolv.conf\n}", ""},
		{"only reverse zones", ".:53 {\n  kubernetes in-addr.arpa ip6.arpa\n}", ""},
		{"zones end at the block", ".:53 {\n  kubernetes {\n    pods insecure\n  }\n  whoami cluster.local\n}\n", ""},
		{"a comment is no plugin", ".:53 {\n  # kubernetes old.local\n  kubernetes new.local\n}\n", "new.local"},
		{"a word later on a line is no plugin", ".:53 {\n  log kubernetes other.local\n}\n", ""},
	} {
		if got := clusterDomain(tc.corefile); got != tc.want {
			t.Errorf("%s: clusterDomain = %q, want %q", tc.name, got, tc.want)
		}
	}
}
