package controller

import "testing"

func TestIPLiteral(t *testing.T) {
	for host, want := range map[string]bool{
		"10.0.0.1":              true,
		"169.254.169.254":       true,
		"127.1":                 true, // inet_aton: 127.0.0.1
		"127.0.1":               true,
		"2130706433":            true, // 127.0.0.1 as one number
		"4294967295":            true,
		"0x7f.0.0.1":            true,
		"0x7f000001":            true,
		"017700000001":          true, // octal
		"0177.0.0.1":            true,
		"::1":                   true,
		"[fd00:ec2::254]":       true,
		"4294967296":            false, // over 32 bits
		"1.2.3.256":             false,
		"1.2.3.4.5":             false,
		"127.0x100":             true, // 127.0.1.0: the last of two parts fills three bytes
		"api.xbcheck.test":      false,
		"1e100.net":             false,
		"08.1.1.1":              false, // 08 is not octal
		"123.example":           false,
		"kubernetes.default.sv": false,
	} {
		if got := ipLiteral(host); got != want {
			t.Errorf("ipLiteral(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestInClusterName(t *testing.T) {
	for _, tc := range []struct {
		host, domain string
		in           bool
	}{
		{"api.xbcheck.test", "cluster.local", false},
		{"svc.cluster.local.example.com", "cluster.local", false},
		{"kubernetes.default.svc.cluster.local", "cluster.local", true},
		{"cluster.local", "cluster.local", true},
		{"api.ns.svc.corp.internal", "corp.internal", true},
		{"API.NS.SVC.CORP.INTERNAL", "corp.internal.", true},
		{"api.ns.svc.corp.internal", "cluster.local", false},
		{"kubernetes.default.svc", "cluster.local", true},
		{"localhost", "cluster.local", true},
		{"admin.localhost", "cluster.local", true},
		{"kubernetes", "cluster.local", true},
		{"notcluster.local", "cluster.local", false},
	} {
		if got := inClusterName(tc.host, tc.domain) != ""; got != tc.in {
			t.Errorf("inClusterName(%q, %q) = %v, want %v", tc.host, tc.domain, got, tc.in)
		}
	}
}
