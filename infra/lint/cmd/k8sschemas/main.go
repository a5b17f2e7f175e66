// Command k8sschemas writes the JSON schemas that kubeconform validates
// pixmill's Kubernetes manifests against, so that validation needs no
// network:
//
//   - core kinds (Namespace, ConfigMap, ServiceAccount, Deployment, …) from
//     the OpenAPI document of Kubernetes itself (api/openapi-spec/swagger.json
//     in the k8s.io/kubernetes module);
//   - the Knative and KEDA kinds from the schemas in crds/, written from the
//     fields those projects document, completed with the Kubernetes
//     definitions they refer to (ObjectMeta, PodSpec, HPA behavior).
//
// Every schema is standalone (its definitions inlined) and strict: an object
// with listed properties accepts no others, so a misspelt field is an error.
// Files are named as kubeconform's {{ .ResourceKind }}{{ .KindSuffix }}.json
// template expects (deployment-apps-v1.json, service-serving-v1.json).
//
// Usage (from infra/lint):
//
//	go mod download -json k8s.io/kubernetes@v1.34.2   # prints the module's Dir
//	go run ./cmd/k8sschemas -swagger DIR/api/openapi-spec/swagger.json -out ../schemas/kubernetes
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// coreKinds are the Kubernetes kinds the manifests use, by definition name.
var coreKinds = []struct{ def, apiVersion, kind string }{
	{"io.k8s.api.core.v1.Namespace", "v1", "Namespace"},
	{"io.k8s.api.core.v1.ConfigMap", "v1", "ConfigMap"},
	{"io.k8s.api.core.v1.Secret", "v1", "Secret"},
	{"io.k8s.api.core.v1.ServiceAccount", "v1", "ServiceAccount"},
	{"io.k8s.api.core.v1.Service", "v1", "Service"},
	{"io.k8s.api.apps.v1.Deployment", "apps/v1", "Deployment"},
}

const refPrefix = "#/definitions/"

func main() {
	swagger := flag.String("swagger", "", "path of Kubernetes' api/openapi-spec/swagger.json")
	crds := flag.String("crds", "cmd/k8sschemas/crds", "directory of the hand-written CRD schemas")
	out := flag.String("out", "../schemas/kubernetes", "directory to write the schemas to")
	flag.Parse()
	if err := run(*swagger, *crds, *out); err != nil {
		fmt.Fprintln(os.Stderr, "k8sschemas:", err)
		os.Exit(1)
	}
}

type schema = map[string]any

func run(swaggerPath, crdDir, out string) error {
	if swaggerPath == "" {
		return errors.New("-swagger: the path of swagger.json is required")
	}
	var doc struct {
		Definitions map[string]schema `json:"definitions"`
	}
	if err := readJSON(swaggerPath, &doc); err != nil {
		return err
	}
	defs := doc.Definitions
	for _, s := range defs {
		strict(s)
	}
	// Types the OpenAPI document declares as strings but YAML writes as
	// numbers too (replicas: 1, cpu: 1, port: 8080).
	defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = schema{"oneOf": []any{schema{"type": "string"}, schema{"type": "integer"}}}
	defs["io.k8s.apimachinery.pkg.api.resource.Quantity"] = schema{"oneOf": []any{schema{"type": "string"}, schema{"type": "number"}}}

	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var errs []error
	for _, k := range coreKinds {
		root, ok := defs[k.def]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: not in %s", k.def, swaggerPath))
			continue
		}
		s := clone(root)
		props := s["properties"].(schema)
		props["apiVersion"] = schema{"enum": []any{k.apiVersion}}
		props["kind"] = schema{"enum": []any{k.kind}}
		s["required"] = union(s["required"], "apiVersion", "kind")
		errs = append(errs, write(out, k.apiVersion, k.kind, standalone(s, defs)))
	}

	files, err := filepath.Glob(filepath.Join(crdDir, "*.json"))
	if err != nil {
		return err
	}
	for _, f := range files {
		var s schema
		if err := readJSON(f, &s); err != nil {
			errs = append(errs, err)
			continue
		}
		own, _ := s["definitions"].(schema)
		delete(s, "definitions")
		all := map[string]schema{}
		for name, d := range defs {
			all[name] = d
		}
		for name, d := range own {
			d := d.(schema)
			if base, ok := d["x-pixmill-extends"].(string); ok {
				d = extend(d, all[base])
			}
			strict(d)
			all[name] = d
		}
		strict(s)
		props := s["properties"].(schema)
		apiVersion := props["apiVersion"].(schema)["enum"].([]any)[0].(string)
		kind := props["kind"].(schema)["enum"].([]any)[0].(string)
		errs = append(errs, write(out, apiVersion, kind, standalone(s, all)))
	}
	return errors.Join(errs...)
}

// strict closes every object schema that lists its properties, in s and
// below it, so that unknown fields are errors.
func strict(s schema) {
	if props, ok := s["properties"].(schema); ok {
		if _, set := s["additionalProperties"]; !set {
			s["additionalProperties"] = false
		}
		for _, p := range props {
			if ps, ok := p.(schema); ok {
				strict(ps)
			}
		}
	}
	for _, key := range []string{"items", "additionalProperties"} {
		if sub, ok := s[key].(schema); ok {
			strict(sub)
		}
	}
	for _, key := range []string{"allOf", "anyOf", "oneOf"} {
		if list, ok := s[key].([]any); ok {
			for _, sub := range list {
				if ss, ok := sub.(schema); ok {
					strict(ss)
				}
			}
		}
	}
}

// extend adds base's properties to d (d's own win).
func extend(d, base schema) schema {
	out := clone(d)
	delete(out, "x-pixmill-extends")
	props, _ := out["properties"].(schema)
	if props == nil {
		props = schema{}
	}
	for name, p := range base["properties"].(schema) {
		if _, own := props[name]; !own {
			props[name] = p
		}
	}
	out["properties"] = props
	return out
}

// standalone returns s with every definition it refers to, directly or not.
func standalone(s schema, defs map[string]schema) schema {
	used := map[string]schema{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case schema:
			if ref, ok := v["$ref"].(string); ok && strings.HasPrefix(ref, refPrefix) {
				name := strings.TrimPrefix(ref, refPrefix)
				if _, seen := used[name]; !seen {
					d, ok := defs[name]
					if !ok {
						d = schema{"not": schema{}, "description": "missing definition " + name}
					}
					used[name] = d
					walk(d)
				}
			}
			for _, sub := range v {
				walk(sub)
			}
		case []any:
			for _, sub := range v {
				walk(sub)
			}
		}
	}
	walk(s)
	out := clone(s)
	// kubeconform reads schemas without $schema as draft 4, which knows no
	// if/then or propertyNames.
	out["$schema"] = "http://json-schema.org/draft-07/schema#"
	if len(used) > 0 {
		d := schema{}
		for name, def := range used {
			d[name] = def
		}
		out["definitions"] = d
	}
	return out
}

// write stores s under kubeconform's name for the kind.
func write(dir, apiVersion, kind string, s schema) error {
	group, version, ok := strings.Cut(apiVersion, "/")
	suffix := "-" + strings.ToLower(group)
	if ok {
		suffix = "-" + strings.ToLower(strings.Split(group, ".")[0]) + "-" + strings.ToLower(version)
	}
	b, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, strings.ToLower(kind)+suffix+".json"), append(b, '\n'), 0o644)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func clone(s schema) schema {
	b, _ := json.Marshal(s)
	var out schema
	_ = json.Unmarshal(b, &out)
	return out
}

func union(list any, more ...string) []any {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	if l, ok := list.([]any); ok {
		for _, v := range l {
			add(v.(string))
		}
	}
	for _, s := range more {
		add(s)
	}
	sort.Strings(out)
	res := make([]any, len(out))
	for i, s := range out {
		res[i] = s
	}
	return res
}
