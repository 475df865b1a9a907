package coverage

import (
	"slices"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// A restatement is a normative sentence of a field's description that
// states in words a constraint the CRD itself enforces, a CEL rule or a
// bound or pattern of the schema: the sentence is exercised by the specs
// that exercise that constraint, refused and held. The pairs are listed
// because no rule names the sentence it enforces; TestRestatementsResolve
// fails when a listed sentence or cell is no longer generated from the
// CRDs, so the list cannot rot unseen.
type restatement struct {
	// Sentence is the sentence as its cell's Source states it.
	Sentence string
	// Refused and Held are the cells of the constraint failing and
	// holding. A release's map has those of its own CRDs (a rule's message
	// may differ between releases); every one it has must be covered.
	Refused, Held []string
}

// restatements are the sentences of the XBackend CRDs that restate a rule,
// a bound or a pattern of the same CRDs.
func restatements() []restatement {
	const (
		externalHostname = "externalHostname must be set when type is ExternalHostname and must be unset otherwise"
		endpointSelector = "endpointSelector must be set when type is EndpointSelector and must be unset otherwise"
		clientCert       = "clientCertificateRef must be set if and only if mode is ClientAndServer"
		oneCASource170   = "exactly one of the fields in [caCertificateRefs wellKnownCACertificates] must be set"
		oneCASource163   = "must specify either CACertificateRefs or WellKnownCACertificates"
		dnsLabel163      = "Name must be a valid DNS label"
		uri              = "spec.tls.validation.subjectAltNames[].uri"
		wellKnown        = "spec.tls.validation.wellKnownCACertificates"
		labelValue       = "spec.endpointSelector.matchLabels{}"
	)
	rule := func(path, message string) (fails, holds string) {
		r := apiextensionsv1.ValidationRule{Message: message}
		return ruleFails(path, r), ruleHolds(path, r)
	}
	pair := func(path, message string) ([]string, []string) {
		f, h := rule(path, message)
		return []string{f}, []string{h}
	}
	caSources := func(extra ...string) ([]string, []string) {
		f7, h7 := rule("spec.tls.validation", oneCASource170)
		f6, h6 := rule("spec.tls.validation", oneCASource163)
		return append([]string{f7, f6}, extra...), []string{h7, h6}
	}
	var out []restatement
	add := func(sentence string, refused, held []string) {
		out = append(out, restatement{Sentence: sentence, Refused: refused, Held: held})
	}
	f, h := pair("spec", externalHostname)
	add("This field must be set when type is ExternalHostname and must be unset otherwise.", f, h)
	f, h = pair("spec", endpointSelector)
	add("This field must be set when type is EndpointSelector and must be unset otherwise.", f, h)
	f, h = pair("spec.tls", clientCert)
	add("This field is required when mode is ClientAndServer and must be unset otherwise.", f, h)
	f, h = caSources()
	add("If CACertificateRefs is empty or unspecified, then WellKnownCACertificates must be specified.", f, h)
	f, h = caSources(belowMinSize(wellKnown, "characters", 1))
	add(`If WellKnownCACertificates is unspecified or empty (""), then CACertificateRefs must be specified with at least one entry for a valid configuration.`, f, h)
	add("Such definitions MUST use an implementation-specific, prefixed name, such as mycompany.com/my-custom-ca-certificates.",
		[]string{patternViolated(wellKnown)}, []string{present(wellKnown)})
	add(`It MUST include both a scheme (e.g., "http" or "ftp") and a scheme-specific-part.`,
		[]string{patternViolated(uri)}, []string{present(uri)})
	add("This matches the Kubernetes label validation rules: * must be 63 characters or less (can be empty), "+
		"* unless empty, must begin and end with an alphanumeric character ([a-z0-9A-Z]), "+
		"* could contain dashes (-), underscores (_), dots (.), and alphanumerics between.",
		[]string{aboveMaxSize(labelValue, "characters", 63), patternViolated(labelValue)},
		[]string{atMaxSize(labelValue, "characters", 63)})
	f, h = pair("spec.port.name", dnsLabel163)
	add("Name must either be an empty string or pass DNS_LABEL validation (lowercase alphanumeric or '-', "+
		"starting and ending with an alphanumeric character, at most 63 characters).",
		append(f, aboveMaxSize("spec.port.name", "characters", 63)), h)
	return out
}

// markRestatements gives each sentence cell that restates a constraint
// the specs that exercise the constraint refused, when every cell of the
// constraint the map has is covered, and at least one refused and one
// held are.
func markRestatements(rows []Row, index map[string]int) {
	for _, r := range restatements() {
		refused, okRefused := linked(rows, index, r.Refused)
		_, okHeld := linked(rows, index, r.Held)
		if !okRefused || !okHeld || len(refused) == 0 {
			continue
		}
		for i := range rows {
			if rows[i].Group == GroupSentence && rows[i].Source == r.Sentence {
				for _, s := range refused {
					if !slices.Contains(rows[i].Specs, s) {
						rows[i].Specs = append(rows[i].Specs, s)
					}
				}
			}
		}
	}
}

// linked returns the specs of the cells of ids the map has, and whether
// it has at least one and each is covered.
func linked(rows []Row, index map[string]int, ids []string) ([]string, bool) {
	var specs []string
	found := false
	for _, id := range ids {
		i, ok := index[id]
		if !ok {
			continue
		}
		if !rows[i].Covered() {
			return nil, false
		}
		found = true
		specs = append(specs, rows[i].Specs...)
	}
	return specs, found
}
