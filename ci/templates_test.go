package ci

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"sigs.k8s.io/yaml"
)

func template(t *testing.T, path string) string {
	t.Helper()
	for _, tpl := range Templates() {
		if tpl.Path == path {
			return tpl.Text
		}
	}
	t.Fatalf("no template %s", path)
	return ""
}

// githubLayout writes the workflows where a repository keeps them: the
// vendor's two files, and xbcheck's own matrix, in .github/workflows of a
// fresh folder, with changed replacing a file's text when given.
func githubLayout(t *testing.T, changed map[string]string) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, ".github", "workflows")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// actionlint takes a folder with .git for a repository's root.
	if err := os.Mkdir(filepath.Join(root, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	for path, name := range map[string]string{"github/xbcheck.yml": "xbcheck.yml", "github/certify.yml": "certify.yml", "project/matrix.yml": "matrix.yml"} {
		text := template(t, path)
		if c, ok := changed[path]; ok {
			text = c
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// lint runs actionlint over the workflows of root, with shellcheck over
// their scripts when it is installed (Debian's shellcheck package).
func lint(t *testing.T, root string) []*actionlint.Error {
	t.Helper()
	opts := &actionlint.LinterOptions{WorkingDir: root, LogWriter: io.Discard}
	if path, err := exec.LookPath("shellcheck"); err == nil {
		opts.Shellcheck = path
	}
	l, err := actionlint.NewLinter(io.Discard, opts)
	if err != nil {
		t.Fatal(err)
	}
	project, err := actionlint.NewProject(root)
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.LintDir(project.WorkflowsDir(), project)
	if err != nil {
		t.Fatal(err)
	}
	return errs
}

func TestGitHubWorkflowsPassActionlint(t *testing.T) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Log("shellcheck is not installed: the workflows' scripts are not checked by it (apt-get install shellcheck)")
	}
	for _, e := range lint(t, githubLayout(t, nil)) {
		t.Errorf("%s:%d:%d: %s [%s]", filepath.Base(e.Filepath), e.Line, e.Column, e.Message, e.Kind)
	}
}

// ciDoc is the page that shows a vendor how to call the templates.
var ciDoc = filepath.Join("..", "docs", "ci.md")

// The call docs/ci.md shows must be one the reusable workflow accepts, and
// the page must document every input and variable of the templates.
func TestCIDocCallPassesActionlint(t *testing.T) {
	doc, err := os.ReadFile(ciDoc)
	if err != nil {
		t.Fatal(err)
	}
	page := string(doc)
	_, block, ok := strings.Cut(page, "```yaml\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatalf("%s has no yaml block", ciDoc)
	}
	w, _ := actionlint.Parse([]byte(template(t, "github/xbcheck.yml")))
	for _, in := range w.On[0].(*actionlint.WorkflowCallEvent).Inputs {
		if !strings.Contains(page, "`"+in.Name.Value+"`") {
			t.Errorf("%s does not list the input %s", ciDoc, in.Name.Value)
		}
	}
	for _, name := range regexp.MustCompile(`(?m)^  (XBCHECK_[A-Z_]+):$`).FindAllStringSubmatch(template(t, "gitlab/xbcheck.gitlab-ci.yml"), -1) {
		if !strings.Contains(page, "`"+name[1]+"`") {
			t.Errorf("%s does not list the variable %s", ciDoc, name[1])
		}
	}
	root := githubLayout(t, nil)
	workflow := "name: docs example\non: [push]\npermissions:\n  contents: read\n" + block
	if err := os.WriteFile(filepath.Join(root, ".github", "workflows", "docs.yml"), []byte(workflow), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, e := range lint(t, root) {
		if filepath.Base(e.Filepath) == "docs.yml" {
			t.Errorf("%s's call, line %d: %s [%s]", ciDoc, e.Line-4, e.Message, e.Kind)
		}
	}
}

// The lint must see through the call: a wrong input name, a missing
// required input and an undefined input reference are each caught.
func TestActionlintCatchesBrokenTemplates(t *testing.T) {
	certify, workflow := template(t, "github/certify.yml"), template(t, "github/xbcheck.yml")
	for name, tc := range map[string]struct {
		path, old, new, want string
	}{
		"unknown input":          {"github/certify.yml", "gateway-class: example", "gateway-klass: example", "gateway-klass"},
		"missing required input": {"github/certify.yml", "      organization: Example Corp\n", "", "organization"},
		"undefined input":        {"github/xbcheck.yml", "${{ inputs.gateway-class }}", "${{ inputs.gatewayclass }}", "gatewayclass"},
	} {
		t.Run(name, func(t *testing.T) {
			text := map[string]string{"github/certify.yml": certify, "github/xbcheck.yml": workflow}[tc.path]
			if !strings.Contains(text, tc.old) {
				t.Fatalf("%s no longer holds %q: update the test", tc.path, tc.old)
			}
			errs := lint(t, githubLayout(t, map[string]string{tc.path: strings.Replace(text, tc.old, tc.new, 1)}))
			if !slices.ContainsFunc(errs, func(e *actionlint.Error) bool { return strings.Contains(e.Message, tc.want) }) {
				t.Errorf("actionlint did not report %q; it said %v", tc.want, errs)
			}
		})
	}
}

func TestReusableWorkflowTakesTheVendorsInputs(t *testing.T) {
	w, errs := actionlint.Parse([]byte(template(t, "github/xbcheck.yml")))
	if len(errs) > 0 {
		t.Fatalf("github/xbcheck.yml: %v", errs)
	}
	if len(w.On) != 1 || w.On[0].EventName() != "workflow_call" {
		t.Fatalf("github/xbcheck.yml is triggered by %v, want workflow_call alone (it is a reusable workflow)", w.On)
	}
	inputs := map[string]*actionlint.WorkflowCallEventInput{}
	for _, in := range w.On[0].(*actionlint.WorkflowCallEvent).Inputs {
		inputs[in.Name.Value] = in
	}
	for name, required := range map[string]bool{
		"install-command": true, "gateway-class": true, "organization": true, "project": true, "url": true, "version": true, "contact": true,
		"gateway-api-versions": false, "xbcheck-version": false, "run-args": false,
	} {
		in, ok := inputs[name]
		if !ok {
			t.Errorf("no input %s", name)
			continue
		}
		if in.Required != nil && in.Required.Value != required || in.Required == nil && required {
			t.Errorf("input %s: required %v, want %t", name, in.Required, required)
		}
		if in.Description == nil || in.Description.Value == "" {
			t.Errorf("input %s has no description: the vendor reads it", name)
		}
	}
	if d := inputs["gateway-api-versions"].Default; d == nil || !regexp.MustCompile(`^v\d+\.\d+\.\d+(,v\d+\.\d+\.\d+)*$`).MatchString(d.Value) {
		t.Errorf("gateway-api-versions default %v, want releases like v1.6.3,v1.7.0", d)
	}
	if d := inputs["xbcheck-version"].Default; d == nil || d.Value == "" {
		t.Error("xbcheck-version has no default")
	}
	text := template(t, "github/xbcheck.yml")
	for _, want := range []string{
		"matrix:\n        gateway-api-version: ${{ fromJSON(needs.versions.outputs.list) }}",
		`xbcheck report --from "$REPORT_DIR" --format markdown >> "$GITHUB_STEP_SUMMARY"`,
		"uses: actions/upload-artifact@",
		"${{ env.REPORT_DIR }}/conformance-report.yaml", "${{ env.REPORT_DIR }}/report.html", "${{ env.REPORT_DIR }}/junit.xml",
		"fail-fast: false",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("github/xbcheck.yml lacks %q", want)
		}
	}
	// The run step must fail the job; the summary and the upload run after
	// a failure too, but never hide it.
	for _, job := range w.Jobs {
		for _, s := range job.Steps {
			if s.ContinueOnError != nil {
				t.Errorf("step %q continues on error: a failed run must fail the job", s.Name.Value)
			}
		}
	}
	if n := strings.Count(text, "if: ${{ !cancelled() }}"); n != 2 {
		t.Errorf("%d steps run after a failure, want 2 (the step summary and the upload)", n)
	}
	// Inputs reach scripts through env, never pasted into them.
	for _, job := range w.Jobs {
		for _, s := range job.Steps {
			if run, ok := s.Exec.(*actionlint.ExecRun); ok && run.Run != nil && strings.Contains(run.Run.Value, "${{") {
				t.Errorf("step %q pastes an expression into its script; pass it through env", s.Name.Value)
			}
		}
	}
}

func TestGitLabTemplateHasTheKeysItNeeds(t *testing.T) {
	text := template(t, "gitlab/xbcheck.gitlab-ci.yml")
	var doc map[string]any
	if err := yaml.UnmarshalStrict([]byte(text), &doc); err != nil {
		t.Fatalf("gitlab/xbcheck.gitlab-ci.yml does not parse: %v", err)
	}
	get := func(v any, path ...string) any {
		for _, p := range path {
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%s: not a mapping above %q", strings.Join(path, "."), p)
			}
			if v, ok = m[p]; !ok {
				t.Fatalf("gitlab/xbcheck.gitlab-ci.yml has no %s", strings.Join(path, "."))
			}
		}
		return v
	}
	// Inputs are global variables, so a vendor's own global variables
	// (and CI/CD settings) override them; job variables would win over
	// the vendor's globals.
	variables := get(doc, "variables").(map[string]any)
	inputs := []string{"XBCHECK_INSTALL_CMD", "XBCHECK_GATEWAY_CLASS", "XBCHECK_ORGANIZATION", "XBCHECK_PROJECT", "XBCHECK_URL",
		"XBCHECK_IMPLEMENTATION_VERSION", "XBCHECK_CONTACT", "XBCHECK_REF", "XBCHECK_RUN_ARGS"}
	for _, name := range inputs {
		v, ok := variables[name].(map[string]any)
		if !ok || v["description"] == nil || v["value"] == nil {
			t.Errorf("variable %s is not declared with a value and a description", name)
		}
	}
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`\$\{?(XBCHECK_[A-Z_]+)`).FindAllStringSubmatch(text, -1) {
		used[m[1]] = true
	}
	for name := range used {
		if _, ok := variables[name]; !ok {
			t.Errorf("the template uses $%s but declares no such variable", name)
		}
	}
	base := get(doc, ".xbcheck")
	if got := get(base, "artifacts", "when"); got != "always" {
		t.Errorf("artifacts.when %v, want always: a failed run's reports matter most", got)
	}
	if got := get(base, "artifacts", "reports", "junit"); got != "out/$GATEWAY_API_VERSION/junit.xml" {
		t.Errorf("artifacts.reports.junit %v", got)
	}
	paths := get(base, "artifacts", "paths").([]any)
	for _, f := range []string{"conformance-report.yaml", "report.html", "junit.xml", "summary.json"} {
		if !slices.Contains(paths, any("out/$GATEWAY_API_VERSION/"+f)) {
			t.Errorf("artifacts.paths lacks out/$GATEWAY_API_VERSION/%s", f)
		}
	}
	if !strings.Contains(strings.Join(stringsOf(get(base, "script")), "\n"), "xbcheck run --provider kind") {
		t.Error(".xbcheck's script does not run xbcheck on kind")
	}
	if !strings.Contains(strings.Join(stringsOf(get(base, "after_script")), "\n"), "--format markdown") {
		t.Error(".xbcheck's after_script does not render the Markdown summary")
	}
	if get(base, "services").([]any)[0].(map[string]any)["name"] != "docker:dind" {
		t.Error("kind needs Docker: the docker:dind service")
	}
	job := get(doc, "xbcheck")
	if get(job, "extends") != ".xbcheck" {
		t.Error("job xbcheck does not extend .xbcheck")
	}
	matrix := get(job, "parallel", "matrix").([]any)
	versions, _ := matrix[0].(map[string]any)["GATEWAY_API_VERSION"].([]any)
	if len(versions) < 2 {
		t.Errorf("parallel:matrix %v, want GATEWAY_API_VERSION over several releases", matrix)
	}
}

func stringsOf(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}

func TestInvocationsFindEveryXbcheckCommand(t *testing.T) {
	type key struct{ template, sub string }
	found := map[key][]string{}
	for _, inv := range Invocations() {
		k := key{inv.Template, inv.Subcommand}
		for _, f := range inv.Flags {
			found[k] = append(found[k], f.Name+"="+f.Value)
		}
	}
	for k, want := range map[key][]string{
		{"github/xbcheck.yml", "run"}: {"provider=kind", "install-cmd=", "gateway-class=", "gateway-api-version=", "organization=", "project=",
			"url=", "version=", "contact=", "report-output="},
		{"github/xbcheck.yml", "report"}:           {"from=", "format=markdown"},
		{"gitlab/xbcheck.gitlab-ci.yml", "run"}:    {"provider=kind", "install-cmd=", "gateway-class=", "gateway-api-version=", "organization=", "project=", "url=", "version=", "contact=", "report-output="},
		{"gitlab/xbcheck.gitlab-ci.yml", "report"}: {"from=", "format=markdown", "output="},
		{"project/matrix.yml", "run"}:              {"provider=", "gateway-api-version=", "report-output="},
		{"project/matrix.yml", "setup"}:            {"provider=node"},
	} {
		got := found[k]
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("%s: xbcheck %s passes %v, lacks --%s", k.template, k.sub, got, w)
			}
		}
	}
}

func TestLogicalLinesJoinContinuationsAndFoldedBlocks(t *testing.T) {
	text := "run: |\n  xbcheck run --a x \\\n    --b \"$Y\" >> out\n  - >-\n    xbcheck report\n    --from d\n  next: 1\n# xbcheck setup --provider node ;; x\n"
	var got []string
	for _, l := range logicalLines(text) {
		got = append(got, l.text)
	}
	for _, want := range []string{`xbcheck run --a x  --b "$Y" >> out`, "xbcheck report --from d", "next: 1", "xbcheck setup --provider node ;; x"} {
		if !slices.Contains(got, want) {
			t.Errorf("logical lines %q lack %q", got, want)
		}
	}
}

// GitLab runs the scripts with bash (the golang image has it); shellcheck
// checks them where it is installed, as actionlint does GitHub's.
func TestGitLabScriptsPassShellcheck(t *testing.T) {
	shellcheck, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Skip("shellcheck is not installed (apt-get install shellcheck)")
	}
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(template(t, "gitlab/xbcheck.gitlab-ci.yml")), &doc); err != nil {
		t.Fatal(err)
	}
	base := doc[".xbcheck"].(map[string]any)
	for _, part := range []string{"before_script", "script", "after_script"} {
		// The variables are the job's environment; SC2086 is the word
		// splitting XBCHECK_RUN_ARGS relies on.
		script := "#!/bin/bash\n# shellcheck disable=SC2086\n" + strings.Join(stringsOf(base[part]), "\n") + "\n"
		cmd := exec.Command(shellcheck, "-s", "bash", "-e", "SC2154", "-")
		cmd.Stdin = strings.NewReader(script)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: shellcheck: %v\n%s\n%s", part, err, out, script)
		}
	}
}

// The step that turns gateway-api-versions into the matrix, run as the
// runner runs it (bash -e -o pipefail).
func TestVersionsStepBuildsTheMatrix(t *testing.T) {
	w, errs := actionlint.Parse([]byte(template(t, "github/xbcheck.yml")))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	script := w.Jobs["versions"].Steps[0].Exec.(*actionlint.ExecRun).Run.Value
	for in, want := range map[string]string{
		"v1.6.3,v1.7.0":         `list=["v1.6.3","v1.7.0"]`,
		" v1.6.3 , , v1.7.0 \n": `list=["v1.6.3","v1.7.0"]`,
		"v1.7.0":                `list=["v1.7.0"]`,
		"":                      "::error::gateway-api-versions is empty",
		"v1.6,main":             `::error::gateway-api-versions: "v1.6" is not a Gateway API release`,
	} {
		output := filepath.Join(t.TempDir(), "output")
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
		cmd.Env = append(os.Environ(), "VERSIONS="+in, "GITHUB_OUTPUT="+output)
		out, err := cmd.CombinedOutput()
		written, _ := os.ReadFile(output)
		got := strings.TrimSpace(string(out) + string(written))
		if !strings.HasPrefix(got, want) || (err == nil) != strings.HasPrefix(want, "list=") {
			t.Errorf("gateway-api-versions %q: %v, %q; want %q", in, err, got, want)
		}
	}
}

// GitLab variables have no "required": the job says which one is empty.
func TestGitLabJobNamesAnEmptyVariable(t *testing.T) {
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(template(t, "gitlab/xbcheck.gitlab-ci.yml")), &doc); err != nil {
		t.Fatal(err)
	}
	check := stringsOf(doc[".xbcheck"].(map[string]any)["before_script"])[0]
	env := append(os.Environ(), "XBCHECK_INSTALL_CMD=make deploy", "XBCHECK_GATEWAY_CLASS=example", "XBCHECK_ORGANIZATION=Example Corp",
		"XBCHECK_PROJECT=example-gateway", "XBCHECK_URL=https://example.com", "XBCHECK_IMPLEMENTATION_VERSION=v1", "XBCHECK_CONTACT=@example")
	cmd := exec.Command("bash", "-e", "-c", check)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("every variable set: %v\n%s", err, out)
	}
	cmd = exec.Command("bash", "-e", "-c", check)
	cmd.Env = append(env, "XBCHECK_URL=")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), "the CI/CD variable XBCHECK_URL is empty") {
		t.Errorf("XBCHECK_URL empty: %v, %q; want exit 2 naming it", err, out)
	}
}
