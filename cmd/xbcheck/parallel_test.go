package main

import (
	"encoding/json"
	"encoding/xml"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// someSpecs pass, skip with a reason and measure, quickly.
const someSpecs = "/^(RoutingPlainHTTP|AdmissionRejectsPortZero|StatusXBackendParentPerGateway|RoutingHostHeaderSeenUpstream|RebindServiceAddress)$/"

// TestParallelRunReportsAsSerialDoes runs the same specs one at a time and
// in three worker processes: the report folders hold the same files (but
// the workers' logs), summary.json and the conformance report have the same
// form and verdicts, and JUnit the same test cases, whatever order the
// specs finished in.
func TestParallelRunReportsAsSerialDoes(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts the embedded control plane twice")
	}
	serial, parallel := reportOf(t, "1"), reportOf(t, "3")
	if a, b := reportFiles(t, serial), reportFiles(t, parallel); !slices.Equal(a, b) {
		t.Errorf("report files: serial %v, parallel %v", a, b)
	}
	if _, err := os.Stat(filepath.Join(parallel, "workers")); err != nil {
		t.Errorf("the parallel run kept no workers' logs: %v", err)
	}
	a := summaryForm(t, serial)
	if n := len(a["verdicts"].(map[string]string)); n != 5 {
		t.Errorf("summary.json of the serial run has %d verdicts, want the 5 scenarios: %v", n, a)
	}
	if b := summaryForm(t, parallel); !reflect.DeepEqual(a, b) {
		t.Errorf("summary.json:\nserial   %v\nparallel %v", a, b)
	}
	if a, b := conformanceForm(t, serial), conformanceForm(t, parallel); !reflect.DeepEqual(a, b) {
		t.Errorf("conformance-report.yaml:\nserial   %v\nparallel %v", a, b)
	}
	cases := junitCases(t, serial)
	if len(cases) != 5 {
		t.Errorf("junit.xml of the serial run has %d test cases, want the 5 scenarios: %v", len(cases), cases)
	}
	if b := junitCases(t, parallel); !slices.Equal(cases, b) {
		t.Errorf("junit.xml test cases:\nserial   %v\nparallel %v", cases, b)
	}
}

// reportOf runs someSpecs with --parallel n and returns its report folder.
func reportOf(t *testing.T, n string) string {
	t.Helper()
	dir := t.TempDir()
	if out, code := runSelfIn(t, dir, "run", "--parallel", n, "--label-filter", someSpecs); code != 0 {
		t.Fatalf("run --parallel %s: exit code %d\n%s", n, code, out)
	}
	return dir
}

// reportFiles lists a report folder, but the workers' logs only a
// parallel run has.
func reportFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if !strings.HasPrefix(rel, "workers"+string(filepath.Separator)) {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

// summaryForm is summary.json's keys and, per spec, what decides its
// verdict: not its times or messages, which name the run's namespaces and
// the Gateway address of a worker's share.
func summaryForm(t *testing.T, dir string) map[string]any {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "summary.json")), &raw); err != nil {
		t.Fatal(err)
	}
	results, _ := raw["results"].([]any)
	verdicts := map[string]string{}
	for _, e := range results {
		r := e.(map[string]any)
		verdicts[r["shortName"].(string)] = strings.Join([]string{r["level"].(string), r["feature"].(string), r["outcome"].(string), r["state"].(string)}, " ")
	}
	return map[string]any{"keys": slices.Sorted(maps.Keys(raw)), "verdicts": verdicts}
}

// conformanceForm is the conformance report without its date, with every
// list sorted: specs are listed in the order they finished.
func conformanceForm(t *testing.T, dir string) any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(readFile(t, filepath.Join(dir, "conformance-report.yaml")), &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc, "date")
	return sortLists(doc)
}

func sortLists(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = sortLists(e)
		}
	case []any:
		for i, e := range v {
			v[i] = sortLists(e)
		}
		slices.SortFunc(v, func(a, b any) int {
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			return strings.Compare(string(ja), string(jb))
		})
	}
	return v
}

// junitCases are junit.xml's test cases as "name class outcome", sorted.
func junitCases(t *testing.T, dir string) []string {
	t.Helper()
	var doc struct {
		Cases []struct {
			Name    string    `xml:"name,attr"`
			Class   string    `xml:"classname,attr"`
			Skipped *struct{} `xml:"skipped"`
			Failure *struct{} `xml:"failure"`
		} `xml:"testsuite>testcase"`
	}
	if err := xml.Unmarshal(readFile(t, filepath.Join(dir, "junit.xml")), &doc); err != nil {
		t.Fatal(err)
	}
	var cases []string
	for _, c := range doc.Cases {
		outcome := "passed"
		switch {
		case c.Skipped != nil:
			outcome = "skipped"
		case c.Failure != nil:
			outcome = "failed"
		}
		cases = append(cases, c.Name+" "+c.Class+" "+outcome)
	}
	slices.Sort(cases)
	return cases
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
