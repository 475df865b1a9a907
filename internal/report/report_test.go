package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	confv1 "sigs.k8s.io/gateway-api/conformance/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/xbcheck/xbcheck/fakes/canary"
	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/upstream"
	"github.com/xbcheck/xbcheck/internal/evidence"
	"github.com/xbcheck/xbcheck/internal/verdict"
)

// failingEvidence is text only the failing spec's evidence holds.
const failingEvidence = "rebind-canary-token-7f3a reached"

var vendor = confv1.Implementation{
	Organization: "Example Corp", Project: "example-gateway", URL: "https://example.com/gateway",
	Version: "v2.1.0", Contact: []string{"@example/gateway-maintainers"},
}

func result(name string, level verdict.Level, feature verdict.Feature, outcome verdict.Outcome, message string, measurements ...string) verdict.Result {
	return verdict.Result{
		Scenario: verdict.Scenario{ShortName: name, Level: level, Feature: feature},
		Outcome:  outcome, State: string(outcome), RunTime: 1500 * time.Millisecond, Message: message, Measurements: measurements,
	}
}

// harnessFault is a scenario that failed by the harness's fault.
func harnessFault(name string, level verdict.Level, feature verdict.Feature, err error) verdict.Result {
	r := result(name, level, feature, verdict.Failed, err.Error())
	r.HarnessFault = true
	return r
}

// failClosed marks a result's requirement as holding for every implementation.
func failClosed(r verdict.Result) verdict.Result {
	r.FailClosed = true
	return r
}

// run is a run of these results by the vendor's implementation.
func run(results ...verdict.Result) Run {
	return Run{Implementation: vendor, Date: time.Now(), Run: verdict.Run{Results: results}}
}

// fixture is a run with one failing MUST spec, a SHOULD warning, a skip,
// measurements and an unsupported feature; its evidence goes into dir.
func fixture(t testing.TB, dir string) Run {
	t.Helper()
	s := Run{
		Implementation: vendor, Date: time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC),
		Tested: "reference gateway (in-process)", GatewayClass: "xbcheck-abcde",
		GatewayAPIVersion: "v1.6.3", GatewayAPIChannel: "experimental",
		FeatureSource: "--supported-features",
		SupportedFeatures: []verdict.Feature{verdict.FeatureResourceBackend, verdict.FeatureExternalHostname, verdict.FeatureTLS,
			verdict.FeatureDNSRebindingProtection},
	}
	s.Run = verdict.Run{Duration: 95 * time.Second,
		Results: []verdict.Result{
			result("AdmissionValidExternalHostname", verdict.Must, verdict.FeatureExternalHostname, verdict.Passed, ""),
			result("RoutingBasic", verdict.Must, verdict.FeatureResourceBackend, verdict.Passed, ""),
			result("RoutingNeedsSandbox", verdict.Must, verdict.FeatureResourceBackend, verdict.Skipped, "no sandbox: user namespaces refused"),
			result("RebindLoopbackFlip", verdict.Must, verdict.FeatureDNSRebindingProtection, verdict.Failed, "the implementation connected to canary loopback"),
			result("TLSServerOnly", verdict.Must, verdict.FeatureTLS, verdict.Passed, ""),
			result("TLSHostnameMismatch", verdict.Should, verdict.FeatureTLS, verdict.Failed, "no TLS alert seen"),
			result("MutualTLSClientCert", verdict.Must, verdict.FeatureMutualTLS, verdict.NotSupported, "the upstream saw no client certificate"),
			failClosed(result("MutualTLSNeverPlaintext", verdict.Must, verdict.FeatureMutualTLS, verdict.Passed, "")),
			result("DNSTTLFollowDelay", verdict.Observe, verdict.FeatureExternalHostname, verdict.Passed, "",
				"seconds until new connections follow a changed A record (TTL 3s): 3.0"),
			result("RoutingHostHeaderSeenUpstream", verdict.Observe, verdict.FeatureResourceBackend, verdict.Passed, "",
				"Host header seen upstream: the externalHostname"),
		},
	}
	at := time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)
	writeEvidence(t, dir, evidence.Doc{
		ShortName: "RebindLoopbackFlip",
		Notes:     []string{"+0.00s canary loopback listening on 127.0.0.1:41000", "+1.20s " + failingEvidence},
		Manifests: []string{"apiVersion: gateway.networking.x-k8s.io/v1alpha1\nkind: XBackend\nmetadata:\n  name: external\n"},
		DNS: []dns.Query{
			{Time: at, Transport: "udp", Name: "rebind.xbcheck.test.", Type: "A", Program: "sequence", Step: 0,
				Answers: []string{"rebind.xbcheck.test. 0 IN A 203.0.113.7"}, Rcode: "NOERROR"},
			{Time: at.Add(time.Second), Transport: "udp", Name: "rebind.xbcheck.test.", Type: "A", Program: "sequence", Step: 1,
				Answers: []string{"rebind.xbcheck.test. 0 IN A 127.0.0.1"}, Rcode: "NOERROR"},
		},
		Upstreams: map[string][]upstream.Event{"public": {{Seq: 1, Time: at.Add(100 * time.Millisecond), Kind: upstream.KindRequest,
			Connection: 1, Remote: "203.0.113.1:5000", Observation: &upstream.Observation{Protocol: "HTTP/1.1", Method: "GET", Path: "/", Host: "rebind.xbcheck.test"}}}},
		Canaries: map[string][]canary.Hit{"loopback": {{Seq: 1, Time: at.Add(1200 * time.Millisecond), Peer: "127.0.0.1:50000", Local: "127.0.0.1:41000", TokenSent: true}}},
	})
	writeEvidence(t, dir, evidence.Doc{
		ShortName:    "DNSTTLFollowDelay",
		Notes:        []string{"+0.00s upstream first listening"},
		Measurements: map[string]string{"seconds until new connections follow a changed A record (TTL 3s)": "3.0"},
	})
	writeEvidence(t, dir, evidence.Doc{ShortName: "RoutingBasic", Notes: []string{"+0.10s routed to the upstream"}})
	return s
}

func writeEvidence(t testing.TB, dir string, e evidence.Doc) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, evidence.Dir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := evidence.Write(filepath.Join(dir, evidence.Dir), e); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestConformanceReportReadsBackWithUpstreamTypes(t *testing.T) {
	dir := t.TempDir()
	if _, err := Write(dir, fixture(t, dir)); err != nil {
		t.Fatal(err)
	}
	var got confv1.ConformanceReport
	if err := yaml.UnmarshalStrict([]byte(readFile(t, filepath.Join(dir, ConformanceFile))), &got); err != nil {
		t.Fatalf("conformance-report.yaml does not read back as a ConformanceReport: %v", err)
	}
	if got.Kind != "ConformanceReport" || got.APIVersion != "gateway.networking.k8s.io/v1" {
		t.Errorf("kind %q apiVersion %q, want ConformanceReport gateway.networking.k8s.io/v1", got.Kind, got.APIVersion)
	}
	if got.Implementation.Organization != vendor.Organization || got.Implementation.Version != vendor.Version || !slices.Equal(got.Implementation.Contact, vendor.Contact) {
		t.Errorf("implementation %+v, want %+v", got.Implementation, vendor)
	}
	if got.GatewayAPIVersion != "v1.6.3" || got.GatewayAPIChannel != "experimental" || got.Mode != "default" {
		t.Errorf("gatewayAPIVersion %q channel %q mode %q", got.GatewayAPIVersion, got.GatewayAPIChannel, got.Mode)
	}
	if _, err := time.Parse(time.RFC3339, got.Date); err != nil {
		t.Errorf("date %q is not RFC 3339: %v", got.Date, err)
	}
	if len(got.ProfileReports) != 1 || got.ProfileReports[0].Name != Profile {
		t.Fatalf("profiles %+v, want one named %s", got.ProfileReports, Profile)
	}
	p := got.ProfileReports[0]
	// Core: the MUST specs of ResourceBackend and ExternalHostname, and the
	// fail-closed one of the unclaimed MutualTLS; one skipped.
	if p.Core.Result != confv1.Partial || p.Core.Passed != 3 || p.Core.Skipped != 1 || p.Core.Failed != 0 ||
		!slices.Equal(p.Core.SkippedTests, []string{"RoutingNeedsSandbox"}) {
		t.Errorf("core %+v, want partial with 3 passed and RoutingNeedsSandbox skipped", p.Core)
	}
	// Extended: MUST specs of supported features; the failing rebind spec;
	// the SHOULD failure and the unsupported MutualTLS spec are not counted.
	ext := p.Extended
	if ext == nil {
		t.Fatal("no extended status")
	}
	if ext.Result != confv1.Failure || ext.Passed != 1 || ext.Failed != 1 || ext.Skipped != 0 ||
		!slices.Equal(ext.FailedTests, []string{"RebindLoopbackFlip"}) {
		t.Errorf("extended %+v, want failure with RebindLoopbackFlip failed and TLSServerOnly passed", ext.Status)
	}
	if !slices.Equal(ext.SupportedFeatures, []string{"ResourceBackendTLS", "ResourceBackendDNSRebindingProtection"}) ||
		!slices.Equal(ext.UnsupportedFeatures, []string{"ResourceBackendMutualTLS", "ResourceBackendSessionPersistence", "ResourceBackendProtocolWSS", "ResourceBackendProtocolGRPC", "ResourceBackendProtocolTCP", "HTTPRouteHostRewrite", "HTTPRouteQueryParamMatching"}) {
		t.Errorf("supported %v unsupported %v", ext.SupportedFeatures, ext.UnsupportedFeatures)
	}
	if !strings.Contains(p.Summary, "1 SHOULD warnings") {
		t.Errorf("summary %q does not count the SHOULD warning", p.Summary)
	}
}

func TestConformanceFailsCoreOnHarnessErrors(t *testing.T) {
	r := run(result("RoutingBasic", verdict.Must, verdict.FeatureResourceBackend, verdict.Passed, ""))
	r.HarnessErrors = []string{"BeforeSuite: the control plane did not start"}
	c := Conformance(r)
	if got := c.ProfileReports[0].Core.Result; got != confv1.Failure {
		t.Errorf("core result %q with a harness error, want failure", got)
	}
}

func TestCheckImplementation(t *testing.T) {
	ref, err := CheckImplementation(confv1.Implementation{Version: "v9"}, true)
	if err != nil {
		t.Fatalf("reference gateway: %v", err)
	}
	if ref.Organization != "xbcheck" || ref.Project != "reference-gateway" || ref.Version != "v9" || len(ref.Contact) == 0 || ref.URL == "" {
		t.Errorf("reference gateway filled as %+v", ref)
	}
	_, err = CheckImplementation(confv1.Implementation{Project: "p", Version: "v1"}, false)
	if err == nil {
		t.Fatal("a vendor's implementation without organization, url and contact was accepted")
	}
	msg := err.Error()
	for _, flag := range []string{"--organization", "--url", "--contact"} {
		if !strings.Contains(msg, flag) {
			t.Errorf("error %q does not name %s", msg, flag)
		}
	}
	if strings.Contains(msg, "--project") || strings.Contains(msg, "--version") || strings.Contains(msg, "\n") {
		t.Errorf("error %q names a flag that was given, or is not one line", msg)
	}
	if _, err := CheckImplementation(vendor, false); err != nil {
		t.Errorf("complete implementation refused: %v", err)
	}
}

func TestHTMLIsSelfContainedAndOpensFailures(t *testing.T) {
	dir := t.TempDir()
	if _, err := Write(dir, fixture(t, dir)); err != nil {
		t.Fatal(err)
	}
	page := readFile(t, filepath.Join(dir, HTMLFile))
	for _, external := range []string{"<script", "<link", " src=", "url(", "@import", `href="http`} {
		if strings.Contains(page, external) {
			t.Errorf("report.html holds %q: it must need no network and no other file", external)
		}
	}
	mustContain(t, "report.html", page,
		`<details id="RebindLoopbackFlip" class="failed" open>`, // failing evidence visible
		failingEvidence,
		"rebind.xbcheck.test. 0 IN A 127.0.0.1", // DNS answers served
		"Canary “loopback” saw",
		"kind: XBackend", // manifests applied
		"Example Corp", "FAIL",
		`<details id="RoutingBasic" class="passed">`, // passing specs collapsed
		"<svg", "3 s</text>", // the measurement in seconds is a bar
		"Host header seen upstream", // the one that is not a number is listed
		"ResourceBackendMutualTLS <span class=\"muted\">(xbcheck, not claimed)</span>",
		"ResourceBackend <span class=\"muted\">(Gateway API, GEP-4894, core)</span>",
		"1 not supported", `class="not-supported" open`, // an unclaimed feature's failure shown, not hidden
	)
}

func TestHTMLVerdictPassWithWarnings(t *testing.T) {
	r := run(
		result("RoutingBasic", verdict.Must, verdict.FeatureResourceBackend, verdict.Passed, ""),
		result("TLSHostnameMismatch", verdict.Should, verdict.FeatureTLS, verdict.Failed, "no TLS alert seen"),
	)
	var page bytes.Buffer
	if err := Render(&page, r, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.String(), "PASS with warnings") || strings.Contains(page.String(), `class="fail"`) {
		t.Error("a run whose only failure is a SHOULD scenario is not shown as PASS with warnings")
	}
}

func TestRenderFileReproducesThePageFromTheFolder(t *testing.T) {
	dir := t.TempDir()
	if _, err := Write(dir, fixture(t, dir)); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := RenderFile(&again, dir, FormatHTML); err != nil {
		t.Fatal(err)
	}
	if again.String() != readFile(t, filepath.Join(dir, HTMLFile)) {
		t.Error("the page rendered from summary.json and evidence/ differs from the one written by the run")
	}
}

func TestRenderFileWithoutSummarySaysWhatToGive(t *testing.T) {
	for _, format := range []string{FormatHTML, FormatMarkdown} {
		err := RenderFile(io.Discard, t.TempDir(), format)
		var folder FolderError
		if !errors.As(err, &folder) || !strings.Contains(err.Error(), SummaryFile) || !strings.Contains(err.Error(), "--report-output") {
			t.Errorf("%s: error %v, want a FolderError naming %s and --report-output", format, err, SummaryFile)
		}
	}
}

func TestUnreadableEvidenceIsShownNotFatal(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, evidence.Dir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, evidence.Dir, "RoutingBasic.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(result("RoutingBasic", verdict.Must, verdict.FeatureResourceBackend, verdict.Passed, ""))
	var page bytes.Buffer
	if err := Render(&page, r, dir); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.String(), "evidence unreadable") {
		t.Error("a broken evidence file is not reported on the page")
	}
}

func TestAVacuousRunFailsItsReports(t *testing.T) {
	r := run(result("TLSOnly", verdict.Must, verdict.FeatureTLS, verdict.Passed, ""))
	if got := Conformance(r).ProfileReports[0]; got.Core.Result != confv1.Failure || !strings.Contains(got.Summary, "no scenario of the core features") {
		t.Errorf("a run without a core spec: core %q, summary %q", got.Core.Result, got.Summary)
	}
	var text bytes.Buffer
	WriteText(&text, r)
	if !strings.Contains(text.String(), "FAIL: no scenario of the core features") {
		t.Errorf("the closing table does not say why the run fails:\n%s", text.String())
	}
}

func TestJUnitHasOneCasePerSpec(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, JUnitFile)
	if err := WriteJUnit(path, fixture(t, dir)); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal([]byte(readFile(t, path)), &doc); err != nil {
		t.Fatalf("junit.xml does not parse: %v", err)
	}
	s := doc.Suites[0]
	if s.Tests != 10 || s.Failures != 2 || s.Skipped != 2 || s.Errors != 0 {
		t.Fatalf("tests %d failures %d skipped %d errors %d, want 10, 2 (a MUST and a SHOULD), 2 (one skipped, one not supported), 0", s.Tests, s.Failures, s.Skipped, s.Errors)
	}
	for _, c := range s.Cases {
		if c.Name == "MutualTLSClientCert" && (c.Skipped == nil || !strings.Contains(c.Skipped.Message, "not supported")) {
			t.Errorf("a failure of an unclaimed feature must be a skip saying not supported: %+v", c)
		}
	}
}

// mustContain reports each of wants that got, the named output, lacks.
func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(got, want) {
			t.Errorf("%s lacks %q:\n%s", what, want, got)
		}
	}
}
