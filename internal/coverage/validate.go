package coverage

import (
	"context"
	"fmt"
	"math"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
)

// admission judges objects of one CRD as the API server does on create:
// structural defaults, then the OpenAPI schema and every CEL rule. It is
// the API server's own code, run without a server.
type admission struct {
	// schema is the served version's schema, walked for cells.
	schema     *apiextensionsv1.JSONSchemaProps
	structural *structuralschema.Structural
	openapi    validation.SchemaValidator
	rules      *cel.Validator
}

func newAdmission(crd *apiextensionsv1.CustomResourceDefinition) (*admission, error) {
	for _, v := range crd.Spec.Versions {
		if !v.Served || v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
			continue
		}
		var internal apiextensions.JSONSchemaProps
		if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v.Schema.OpenAPIV3Schema, &internal, nil); err != nil {
			return nil, fmt.Errorf("CRD %s: %w", crd.Name, err)
		}
		ss, err := structuralschema.NewStructural(&internal)
		if err != nil {
			return nil, fmt.Errorf("CRD %s is not structural: %w", crd.Name, err)
		}
		sv, _, err := validation.NewSchemaValidator(&internal)
		if err != nil {
			return nil, fmt.Errorf("CRD %s: %w", crd.Name, err)
		}
		return &admission{
			schema:     v.Schema.OpenAPIV3Schema,
			structural: ss,
			openapi:    sv,
			rules:      cel.NewValidator(ss, true, celconfig.PerCallLimit),
		}, nil
	}
	return nil, fmt.Errorf("CRD %s serves no version with a schema", crd.Name)
}

// judge returns the errors the API server would refuse obj with; none when
// it admits it. Measured against kube-apiserver v1.37.2: same causes.
func (a *admission) judge(ctx context.Context, obj map[string]any) field.ErrorList {
	obj = integers(runtime.DeepCopyJSON(obj)).(map[string]any)
	defaulting.Default(obj, a.structural)
	errs := validation.ValidateCustomResource(nil, obj, a.openapi)
	// As the API server does, the CEL rules are not checked on an object
	// the schema already refuses ("some validation rules were not checked
	// because the object was invalid").
	if len(errs) == 0 && a.rules != nil {
		celErrs, _ := a.rules.Validate(ctx, nil, a.structural, obj, nil, celconfig.RuntimeCELCostBudget)
		errs = append(errs, celErrs...)
	}
	return errs
}

// integers turns whole float64 numbers into int64, as the API server's
// JSON decoding does: YAML decoded through JSON gives float64, which CEL
// does not take for an integer field.
func integers(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = integers(e)
		}
	case []any:
		for i, e := range v {
			v[i] = integers(e)
		}
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v)
		}
	}
	return v
}
