package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakesTable is a table of specs that between them use every operation of
// the fakes: DNS programs and the query log, upstreams with the spec's CA
// and a client CA, dropped connections, a stopped upstream, canaries and
// their hits, upstream logs.
const fakesTable = "RoutingPlainHTTP || StatusParentRemovedWithRoute || TLSServerOnlyConfigMapCA || TLSRejectsWrongSAN || " +
	"TLSClientCertificatePresented || TLSCARotation || DNSFollowsRecordChange || DNSResolvesExternalHostname || RebindLoopback || AdmissionIPLiteralShortFormNotRouted"

// TestSpecsPassWithLocalAndRemoteFakes runs one table of specs twice on
// loopback: with the fakes in the run's own process (control.Local), and
// with them in an `xbcheck fakes` process reached through its control API
// (control.Remote). The specs must pass, with the same verdicts, either way.
func TestSpecsPassWithLocalAndRemoteFakes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a control plane and runs scenarios twice: skipped with -short")
	}
	self := asXBcheck(t)
	config := filepath.Join(t.TempDir(), "fakes.yaml")
	if err := os.WriteFile(config, []byte("internet: 127.0.1.0/24\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fakes := exec.Command(self, "fakes", "--config", config)
	stdout, err := fakes.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := fakes.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = fakes.Process.Signal(os.Interrupt)
		_ = fakes.Wait()
	})
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || !strings.HasPrefix(lines.Text(), "control-api ") {
		t.Fatalf("xbcheck fakes did not print its control API first: %q", lines.Text())
	}
	url := strings.TrimPrefix(lines.Text(), "control-api ")
	if !lines.Scan() || !strings.HasPrefix(lines.Text(), "dns ") {
		t.Fatalf("xbcheck fakes did not say where its DNS listens: %q", lines.Text())
	}
	remoteDNS := strings.Fields(lines.Text())[1]
	go func() {
		for lines.Scan() { // keep the pipe drained
		}
	}()

	closing := map[string]string{}
	for name, extra := range map[string][]string{"local": nil, "remote": {"--fakes-url", url}} {
		args := append([]string{"run", "--sandbox", "off", "--report-output", "", "--label-filter", fakesTable}, extra...)
		out, err := exec.Command(self, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s fakes: xbcheck %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		text := strings.TrimSpace(string(out))
		if usesRemote := strings.Contains(text, "rogue DNS at "+remoteDNS+"\n"); usesRemote != (name == "remote") {
			t.Fatalf("%s fakes: the run's rogue DNS is not the expected one (the other process's is %s):\n%s", name, remoteDNS, out)
		}
		closing[name] = text[strings.LastIndex(text, "\n")+1:]
		var passed, failed, skipped int
		if _, err := fmt.Sscanf(closing[name], "%d passed, %d failed, %d skipped", &passed, &failed, &skipped); err != nil || passed < 10 || failed != 0 || skipped != 0 {
			t.Fatalf("%s fakes: closing line %q, want the 10 scenarios passing\n%s", name, closing[name], out)
		}
	}
	if closing["local"] != closing["remote"] {
		t.Errorf("local fakes: %q; remote fakes: %q", closing["local"], closing["remote"])
	}
}
