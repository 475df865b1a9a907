// Package evidence is what a spec saw, as the file evidence/<ShortName>.json
// of a report folder: the DNS answers the implementation was served, what
// the fake upstreams and canaries saw, status notes over time, the
// manifests applied and any OBSERVE measurement.
//
// The harness writes one Doc per spec; reports read them back. It is a leaf
// beside internal/verdict: reading evidence links no spec.
//
//	err := evidence.Write(dir, doc)         // dir is <report-output>/evidence
//	doc, err := evidence.Read(dir, "TLSRejectsWrongSAN")
package evidence
