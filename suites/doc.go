// Package suites is the XBackend conformance suite: one package per family
// of scenarios, each with the manifests its scenarios apply beside it, and
// the harness they are written with.
//
//	admission/   family A: what the API server admits, and hostnames never routed
//	routing/     family B: routing, route conditions, XBackend status
//	backendtls/  family C: TLS to the external host
//	protocol/    family D: the protocol spoken upstream
//	rebinding/   family E: DNS and egress safety
//	admission170/      Gateway API v1.7.0's CRD rules, both directions
//	endpointselector/  v1.7.0's EndpointSelector: selected pods, the Service made for them
//	session/           v1.7.0's sessionPersistence
//	websocket/         v1.7.0's protocol WSS
//	harness/     the Harness, the T each scenario's run function gets, and the shared helpers
//
// A scenario is found by its ShortName in its family's Go file; the YAML
// it applies is named in its run function (or in its table row) and lies
// in the same folder; the fakes it talks to are started in its run
// function through the harness (StartUpstream, StartCanary, Answer).
// docs/adding-a-scenario.md says how to add one, and which fault of the
// reference gateway must kill it.
//
// # Glossary
//
// These words mean one thing each, in code, docs and reports.
//
//   - scenario: one requirement of XBackend checked against a running
//     implementation. It is declared as a harness.Scenario: its identity
//     (verdict.Scenario, made with one constructor, e.g.
//     verdict.Must.Scenario("TLSRejectsWrongSAN", verdict.FeatureTLS,
//     verdict.FailClosed)), the requirement in one sentence, the API
//     sentence its level rests on (package apitext), its gates, and its
//     run function. Reports, label filters and the kill matrix name it by
//     its ShortName. Ginkgo runs each scenario as one of its specs; "spec"
//     is Ginkgo's word and stays Ginkgo's.
//   - run function: what a scenario does, a named func(ctx, s *harness.T).
//     A harness.T is one running scenario, as a *testing.T is one running
//     test: its own namespace, hostname and CA, the fakes it started, the
//     evidence it gathers, and the helpers that fail it. It is called T
//     rather than Spec (Ginkgo's word for the node it runs in, and a name
//     Ginkgo's own API uses) or Test (the declaration); run functions name
//     it s, for the scenario it runs.
//   - level: how strongly the API demands the behaviour (verdict.Level).
//     MUST fails the run, SHOULD is a warning, OBSERVE measures with no
//     verdict. The level comes from the API text, never from what the
//     reference gateway does.
//   - feature: the part of XBackend a scenario belongs to (verdict.Feature).
//     Core features are required of every implementation; a failure of an
//     extended feature the implementation does not claim is reported as
//     not supported, with no verdict.
//   - family: the scenarios of one package of suites/ and the manifests
//     they apply (harness.Family): one Ginkgo container, one catalog
//     section.
//   - fail-closed: a requirement every implementation meets whatever it
//     claims (verdict.FailClosed): without the support, it refuses rather
//     than serves wrong (never plaintext when TLS is asked for, never a
//     forbidden address). Such a scenario always runs and always counts.
//   - harness error: a failure of the harness, not of the implementation:
//     a fake that did not start, a positive control that failed (the
//     harness's own proof that a canary could have seen a connection), a
//     panic in the harness's code. It is made by harness.Check or
//     harness.Fault as a verdict.HarnessError, recognised by its type,
//     never by its text; it fails the run (which then proves nothing) and
//     is never counted against the implementation.
//   - evidence: what a scenario saw, kept whether it passed or failed: the
//     manifests it applied, the DNS answers, what upstreams and canaries
//     saw, status over time, its notes. The report shows it beside the
//     verdict.
package suites
