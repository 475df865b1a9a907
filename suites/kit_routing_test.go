package suites

import "testing"

func TestCorefileClusterDomain(t *testing.T) {
	for _, tc := range []struct{ name, corefile, want string }{
		{"default", ".:53 {\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n    }\n}", "cluster.local"},
		{"custom domain after a reverse zone", ".:53 {\n  kubernetes in-addr.arpa corp.internal. {\n  }\n}", "corp.internal"},
		{"no kubernetes plugin", ".:53 {\n    forward . /etc/resolv.conf\n}", ""},
		{"only reverse zones", "kubernetes in-addr.arpa ip6.arpa", ""},
		{"zones end at the block", "kubernetes { \n}\n", ""},
	} {
		if got := corefileClusterDomain(tc.corefile); got != tc.want {
			t.Errorf("%s: corefileClusterDomain = %q, want %q", tc.name, got, tc.want)
		}
	}
}
