package main

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// runSelf runs this test binary as xbcheck with args and returns its
// output and exit code.
func runSelf(t *testing.T, args ...string) (string, int) {
	t.Helper()
	return runSelfIn(t, t.TempDir(), args...)
}

// runSelfIn is runSelf writing the run's reports to reportDir.
func runSelfIn(t *testing.T, reportDir string, args ...string) (string, int) {
	t.Helper()
	cmd := xbcheckCommand(t, append(args, "--report-output", reportDir)...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	}
	t.Fatalf("xbcheck %v: %v\n%s", args, err, out)
	return "", 0
}

// A GatewayClass that claims no feature still gets its core specs and the
// fail-closed specs of every feature run (and an extended spec too, whose
// failure would only be "not supported"); a run in which no core spec ran
// fails, whatever passed.
func TestClassClaimingNothingStillRunsCoreAndFailClosedSpecs(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts the embedded control plane")
	}
	out, code := runSelf(t, "run", "--faults", "no-supported-features",
		"--label-filter", "/^(RoutingPlainHTTP|TLSRejectsWrongSAN|TLSServerOnlyConfigMapCA)$/")
	if code != 0 {
		t.Fatalf("exit code %d, want 0:\n%s", code, out)
	}
	for _, want := range []string{
		"PASS  MUST     RoutingPlainHTTP", "PASS  MUST     TLSRejectsWrongSAN", "PASS  MUST     TLSServerOnlyConfigMapCA",
		"ResourceBackendTLS", "xbcheck, not claimed",
		"3 passed, 0 failed, 0 skipped",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	out, code = runSelf(t, "run", "--faults", "no-supported-features", "--label-filter", "/^TLSServerOnlyConfigMapCA$/")
	if code != 1 || !strings.Contains(out, "FAIL: no scenario of the core features") {
		t.Errorf("a run of one extended spec: exit code %d, want 1 saying no core scenario ran:\n%s", code, out)
	}
}

// --gateway-address reaches a Gateway whose implementation publishes no
// address; without it, the spec fails saying so.
func TestGatewayAddressOverridesAnEmptyStatus(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts the embedded control plane")
	}
	args := []string{"run", "--faults", "no-gateway-address", "--parallel", "1", "--timeout", "GatewayReady=10s", "--label-filter", "/^RoutingPlainHTTP$/"}
	out, code := runSelf(t, args...)
	if code != 1 || !strings.Contains(out, "FAIL  MUST     RoutingPlainHTTP") {
		t.Fatalf("without --gateway-address: exit code %d, want 1 with RoutingPlainHTTP failing:\n%s", code, out)
	}
	// The run's one Gateway takes the first address of the reference
	// gateway's pool: the sandbox's, or loopback's outside it.
	address := "127.0.2.1"
	if strings.Contains(out, "network: sandbox") {
		address = "192.0.2.10"
	}
	out, code = runSelf(t, append(args, "--gateway-address", address)...)
	if code != 0 || !strings.Contains(out, "PASS  MUST     RoutingPlainHTTP") {
		t.Errorf("with --gateway-address %s: exit code %d, want 0 with RoutingPlainHTTP passing:\n%s", address, code, out)
	}
}
