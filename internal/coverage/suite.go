package coverage

import (
	"errors"
	"fmt"
	"go/ast"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"slices"

	"github.com/xbcheck/xbcheck/fixtures/manifest"
	"github.com/xbcheck/xbcheck/internal/gatewayapi"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// placeholders are the values the map renders manifests with: a spec's
// own values are set at run time, and only the classes they fall in
// matter here. A manifest with a placeholder missing here is an error.
func placeholders() map[string]string {
	host := "coverage.xbcheck.test"
	return map[string]string{
		"Namespace": "coverage", "Hostname": host, "GatewayClass": "xbcheck", "ListenerPort": "80", "TCPPort": "9000",
		"Port": "8443", "RefPort": "8443", "App": "web", "Name": "external", "Target": "external",
		"BackendNamespace": "coverage-backends", "SecretNamespace": "coverage-secrets", "GatewayNamespace": "coverage-gateways",
		"CAConfigMap": "ca", "FirstCA": "ca-1", "SecondCA": "ca-2", "ClientSecret": "client",
		"ForeignController": "example.com/other-gateway", "Host": host, "RewriteHost": "rewritten." + host,
		"ValidationHostname": host, "SANType": "Hostname", "SANField": "hostname", "SANValue": host,
	}
}

// FromSuites describes the families' tests that run on schema's release
// for the map: their sources, behaviour annotations and the objects of the
// manifests they apply (found in sources, the suites' Go files). It
// returns them with the sentences package apitext quotes.
func FromSuites(families []harness.Family, sources fs.FS, schema gatewayapi.Schema) ([]Spec, []string, error) {
	var names []string
	for _, s := range harness.Scenarios(families) {
		names = append(names, s.ShortName)
	}
	files, err := manifestsOf(sources, names)
	if err != nil {
		return nil, nil, err
	}
	var specs []Spec
	var errs []error
	for _, f := range families {
		for _, t := range f.Scenarios {
			if !runsOn(t.Releases, schema) {
				continue
			}
			found, ok := files[t.ShortName]
			if !ok {
				errs = append(errs, fmt.Errorf("the declaration of %s was not found in the suites' sources", t.ShortName))
			}
			s := Spec{ShortName: t.ShortName, Source: string(t.Source), Covers: t.Covers}
			for _, name := range found {
				if _, err := fs.Stat(f.Manifests, name); err != nil {
					continue // another family's, or the harness's own Gateway
				}
				objs, err := manifest.Render(f.Manifests, name, placeholders())
				if err == nil {
					err = schema.Render(objs)
				}
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", t.ShortName, err))
					continue
				}
				for _, o := range objs {
					s.Objects = append(s.Objects, o.Object)
				}
			}
			specs = append(specs, s)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	quotes, err := quotesOf(sources)
	return specs, quotes, err
}

// runsOn reports whether a test of releases r runs on schema's release.
func runsOn(r harness.Releases, schema gatewayapi.Schema) bool {
	return (r.Since == "" || schema.AtLeast(r.Since)) && (r.Before == "" || !schema.AtLeast(r.Before))
}

// quotesOf evaluates the Sentence constants of package apitext.
func quotesOf(sources fs.FS) ([]string, error) {
	fset := token.NewFileSet()
	names, err := fs.Glob(sources, "apitext/*.go")
	if err != nil {
		return nil, err
	}
	var files []*ast.File
	for _, name := range names {
		src, err := fs.ReadFile(sources, name)
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	conf := types.Config{Importer: importer.Default()}
	pkg, err := conf.Check("apitext", fset, files, nil)
	if err != nil {
		return nil, fmt.Errorf("read package apitext: %w", err)
	}
	var out []string
	for _, name := range pkg.Scope().Names() {
		c, ok := pkg.Scope().Lookup(name).(*types.Const)
		if ok && c.Exported() && c.Type().String() == "apitext.Sentence" {
			out = append(out, constant.StringVal(c.Val()))
		}
	}
	slices.Sort(out)
	return out, nil
}
