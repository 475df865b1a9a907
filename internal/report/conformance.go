package report

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	confv1 "sigs.k8s.io/gateway-api/conformance/apis/v1"

	"github.com/xbcheck/xbcheck/internal/verdict"
)

// Profile names XBackend's profile in the ConformanceReport.
const Profile = "XBACKEND"

// Mode is the operating mode the report states; xbcheck has one.
const Mode = "default"

// Conformance builds the upstream ConformanceReport of a run. Only MUST
// specs carry a conformance verdict: those of the core features, and the
// fail-closed ones every implementation must meet whatever it claims, make
// the core result; those of the claimed extended features the extended one.
// SHOULD failures are warnings and OBSERVE specs measurements, so both stay
// out of it (report.html shows them). Specs of unclaimed extended features
// are not counted: the feature is listed as unsupported.
func Conformance(r Run) confv1.ConformanceReport {
	var core, extended confv1.Status
	ext := &confv1.ExtendedStatus{}
	for _, f := range verdict.Features() {
		if f.Core {
			continue
		}
		if r.supports(f.Name) {
			ext.SupportedFeatures = append(ext.SupportedFeatures, string(f.Name))
		} else {
			ext.UnsupportedFeatures = append(ext.UnsupportedFeatures, string(f.Name))
		}
	}
	var should, observe int
	for _, res := range r.Results {
		switch res.Level {
		case verdict.Should:
			if res.Outcome == verdict.Failed {
				should++
			}
			continue
		case verdict.Observe:
			observe++
			continue
		}
		st := &core
		if !res.Feature.Core() && !res.FailClosed {
			if !r.supports(res.Feature) {
				continue
			}
			st = &extended
		}
		switch res.Outcome {
		case verdict.Passed:
			st.Passed++
		case verdict.Failed:
			st.Failed++
			st.FailedTests = append(st.FailedTests, res.ShortName)
		default:
			st.Skipped++
			st.SkippedTests = append(st.SkippedTests, res.ShortName)
		}
	}
	core.Result, extended.Result = upstreamResult(core), upstreamResult(extended)
	ext.Status = extended
	summary := fmt.Sprintf("core %s: %d of %d MUST scenarios passed; extended %s: %d of %d; %d SHOULD warnings, %d OBSERVE measurements (see report.html)",
		core.Result, core.Passed, core.Passed+core.Failed+core.Skipped,
		extended.Result, extended.Passed, extended.Passed+extended.Failed+extended.Skipped, should, observe)
	if len(r.HarnessErrors) > 0 {
		core.Result = confv1.Failure
		summary = fmt.Sprintf("harness errors (the run proves nothing): %d; ", len(r.HarnessErrors)) + summary
	}
	if why := r.Vacuous(); why != "" {
		core.Result = confv1.Failure
		summary = why + "; " + summary
	}
	return confv1.ConformanceReport{
		TypeMeta:          metav1.TypeMeta{APIVersion: confv1.GroupVersion.String(), Kind: "ConformanceReport"},
		Implementation:    r.Implementation,
		Date:              r.Date.Format(time.RFC3339),
		GatewayAPIVersion: r.GatewayAPIVersion,
		GatewayAPIChannel: r.GatewayAPIChannel,
		Mode:              Mode,
		ProfileReports: []confv1.ProfileReport{{
			Name:     Profile,
			Summary:  summary,
			Core:     core,
			Extended: ext,
		}},
	}
}

// upstreamResult is upstream's rule: any failure fails, else any skip is partial.
func upstreamResult(s confv1.Status) confv1.Result {
	switch {
	case s.Failed > 0:
		return confv1.Failure
	case s.Skipped > 0:
		return confv1.Partial
	}
	return confv1.Success
}
