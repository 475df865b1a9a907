// Package ci holds the CI templates a vendor copies to certify an
// implementation with xbcheck, and xbcheck's own matrix workflow:
//
//   - github/xbcheck.yml: a GitHub Actions reusable workflow (on:
//     workflow_call), a matrix over Gateway API versions of the action at
//     the repository's root (action.yml, checked out at xbcheck-version),
//     which runs xbcheck on kind, writes the step summary and uploads the
//     reports; github/certify.yml calls it;
//   - gitlab/xbcheck.gitlab-ci.yml: the same as an include-able GitLab CI
//     template, a parallel:matrix over Gateway API versions;
//   - project/matrix.yml: xbcheck's own providers × Gateway API versions.
//
// The files are embedded so tests can check them: Templates lists them and
// Invocations finds every xbcheck command they run (FindInvocations those
// of action.yml), for the test in cmd/xbcheck that holds their flags
// against `xbcheck <command> --help`. The package's own tests lint the
// workflows, the action (its steps as a workflow) and the README's use of
// it with actionlint, and parse the GitLab template for the keys it needs.
package ci
