package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/xbcheck/xbcheck/internal/node"
	"github.com/xbcheck/xbcheck/internal/node/nodetest"
)

// buildXBcheck builds the xbcheck executable: in a cluster, its image runs
// the fakes and the reference gateway, which a test binary cannot.
func buildXBcheck(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "xbcheck")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// inClusterSpecs are specs of every family that run in a cluster: traffic
// to an upstream advertised through externalIPs, TLS, a protocol, status,
// a rebinding answer served through CoreDNS's stub zone, and an
// EndpointSelector over real pods whose readiness the kubelet writes.
const inClusterSpecs = "/^(RoutingPlainHTTP|RoutingWeightedSplit|TLSServerOnlyConfigMapCA|ProtocolH2C|StatusXBackendParentPerGateway|RebindTLSPodAddress|AdmissionIPLiteralPrivateNotRouted|EndpointSelectorExcludesNotReadyPods)$/"

// TestInClusterRunLeavesTheClusterAsFound runs specs with the fakes and
// the reference gateway as pods of a node xbcheck starts, to the end and
// then interrupted: both times the run must prove it left the cluster as
// it found it (CoreDNS's Corefile byte for byte, no namespace, Service or
// cluster role of its own).
func TestInClusterRunLeavesTheClusterAsFound(t *testing.T) {
	nodetest.Require(t, node.Check, nodetest.Share)
	bin := buildXBcheck(t)

	report := t.TempDir()
	out, err := exec.Command(bin, "run", "--provider", "node", "--label-filter", inClusterSpecs, "--report-output", report).CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf("xbcheck run in the cluster: %v\n%s%s", err, text, podLogs(report))
	}
	for _, want := range []string{"reference gateway pod ", "fakes pod ", "CoreDNS forwards xbcheck.test to ", "implementation: reference gateway (pods)", "cluster left as found: CoreDNS's configuration byte for byte"} {
		if !strings.Contains(text, want) {
			t.Errorf("the run's output lacks %q:\n%s", want, text)
		}
	}
	if passed, failed := closingLine(t, text); passed != 8 || failed != 0 {
		t.Errorf("%d passed, %d failed; want the 8 scenarios passing in the cluster:\n%s", passed, failed, text)
	}

	// Interrupted once its specs run.
	cmd := exec.Command(bin, "run", "--provider", "node", "--report-output", t.TempDir())
	var buf bytes.Buffer
	running := make(chan struct{})
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		lines := bufio.NewScanner(pr)
		once := sync.Once{}
		for lines.Scan() {
			buf.WriteString(lines.Text() + "\n")
			if strings.HasPrefix(lines.Text(), "running ") {
				once.Do(func() { close(running) })
			}
		}
	})
	<-running
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	pw.Close()
	wg.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitInterrupted {
		t.Fatalf("interrupted run: %v, want exit code %d:\n%s", err, exitInterrupted, buf.String())
	}
	if !strings.Contains(buf.String(), "cluster left as found: CoreDNS's configuration byte for byte") {
		t.Errorf("the interrupted run does not say it left the cluster as found:\n%s", buf.String())
	}
}

// closingLine reads "N passed, M failed, K skipped", the output's last
// line but the cleanup's.
func closingLine(t *testing.T, text string) (passed, failed int) {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		var skipped int
		if n, _ := fmt.Sscanf(line, "%d passed, %d failed, %d skipped", &passed, &failed, &skipped); n == 3 {
			return passed, failed
		}
	}
	t.Fatalf("no closing line in:\n%s", text)
	return 0, 0
}

// TestInClusterKillsFaults runs faulty reference gateways as pods: each
// fault must fail the specs that catch it in the sandbox, in the cluster
// too.
func TestInClusterKillsFaults(t *testing.T) {
	nodetest.Require(t, node.Check, nodetest.Share)
	bin := buildXBcheck(t)
	for fault, killer := range map[string]string{
		// Through CoreDNS's stub zone; TLS keeps the canary's answer from
		// the client, so only the SHOULD of the guardrail catches it.
		"follow-rebind":               "SHOULD   RebindPodAddress",
		"port-from-route":             "MUST     RoutingBackendRefPortAbsent",
		"san-skips-chain":             "MUST     TLSSANRejectsUntrustedCA",
		"status-for-foreign-gateways": "MUST     StatusNoEntryForOtherControllersGateway",
		"h2c-when-protocol-unset":     "MUST     ProtocolUnsetFollowsRoute",
		// Real pods: the kubelet, not the harness, says the pod is not Ready.
		"route-to-unready-pods": "MUST     EndpointSelectorExcludesNotReadyPods",
	} {
		level, spec, _ := strings.Cut(killer, " ")
		spec = strings.TrimSpace(spec)
		t.Run(fault, func(t *testing.T) {
			out, err := exec.Command(bin, "run", "--provider", "node", "--faults", fault, "--label-filter", "/^"+spec+"$/", "--report-output", t.TempDir()).CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("run with fault %s: %v, want exit code 1:\n%s", fault, err, out)
			}
			if passed, failed := closingLine(t, string(out)); passed != 0 || failed != 1 || !strings.Contains(string(out), "FAIL  "+killer) {
				t.Errorf("fault %s: %d passed, %d failed; want the %s scenario %s failing:\n%s", fault, passed, failed, level, spec, out)
			}
		})
	}
}

// podLogs is the end of each pod's log a run saved in its report folder,
// for a failure message.
func podLogs(reportDir string) string {
	files, _ := filepath.Glob(filepath.Join(reportDir, "pods", "*.log"))
	var b strings.Builder
	for _, f := range files {
		data, _ := os.ReadFile(f)
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		fmt.Fprintf(&b, "\n--- %s (last lines)\n%s", filepath.Base(f), strings.Join(lines[max(0, len(lines)-30):], "\n"))
	}
	return b.String()
}
