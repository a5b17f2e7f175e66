package imaging

import (
	"slices"
	"strings"
)

// OpSpec describes one op for machines: the gateway serves the catalogue as
// JSON so that a web page can build its edit form without knowing the ops.
type OpSpec struct {
	Name   string      `json:"name"`
	Help   string      `json:"help"`
	Fields []FieldSpec `json:"fields"`
}

// FieldSpec describes one parameter of an op. Type is a JSON Schema type
// name: "integer", "number", "string" or "boolean". Default holds a value of
// that type, or nil when the field has none.
type FieldSpec struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Help     string   `json:"help,omitempty"`
	Min      *float64 `json:"min,omitempty"`
	Max      *float64 `json:"max,omitempty"`
	Enum     []string `json:"enum,omitempty"`
	Default  any      `json:"default,omitempty"`
	Required bool     `json:"required,omitempty"`
}

// Catalogue lists every op, sorted by name, with its fields in declaration
// order. The result is a copy; changing it changes nothing here.
func Catalogue() []OpSpec {
	specs := make([]OpSpec, 0, len(registry.byName))
	for _, info := range registry.byName {
		spec := OpSpec{Name: info.name, Help: info.help, Fields: []FieldSpec{}}
		for _, f := range info.fields {
			spec.Fields = append(spec.Fields, FieldSpec{
				Name:     f.name,
				Type:     f.typ,
				Help:     f.help,
				Min:      copyFloat(f.min),
				Max:      copyFloat(f.max),
				Enum:     slices.Clone(f.enum),
				Default:  f.def,
				Required: f.required,
			})
		}
		specs = append(specs, spec)
	}
	slices.SortFunc(specs, func(a, b OpSpec) int { return strings.Compare(a.Name, b.Name) })
	return specs
}

func copyFloat(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
