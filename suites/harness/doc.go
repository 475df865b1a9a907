// Package harness is what XBackend scenarios are written with: the Harness
// a process builds once (cluster client, fakes, timeouts, addressing,
// features) and the T each scenario's run function gets (its own
// namespace, hostname, CA, fakes and evidence), with the helpers they
// share. The words are defined in the glossary of package suites.
//
// A scenario is a declaration first (its identity, the requirement it
// checks, the API sentence) and a named run function; a Family groups the
// scenarios of one package with the manifests they apply:
//
//	var family = harness.Family{Name: "TLS", Manifests: manifests, Scenarios: []harness.Scenario{{
//		Scenario:    verdict.Must.Scenario("TLSRejectsWrongSAN", verdict.FeatureTLS, verdict.FailClosed),
//		Description: "refuses a certificate for another name signed by the trusted CA",
//		Source:      apitext.HostnameAuthenticates,
//		Run:         rejectsWrongSAN, // func(ctx context.Context, s *harness.T)
//	}}}
//
// Register declares one Ginkgo spec per scenario, capturing the Harness; the
// runner builds the Harness, registers the families and runs Ginkgo.
// Feature gating happens in one place, in Register. Specs reach upstreams,
// canaries and the rogue DNS only through control.Fakes, so the same spec
// runs with the fakes in this process, in another process of the run, or in
// a cluster. Every address the harness itself dials passes the sandbox's
// safety check first (internal/sandbox.Guard).
//
// Helpers that assert call GinkgoHelper, so a failure points at the spec.
// A failure caused by the harness rather than the implementation goes
// through Check or Fault: it carries a verdict.HarnessError, which the
// runner recognises by its type, fails the run whatever the spec's level,
// and is never counted against the implementation.
package harness
