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
// name: "integer", "number", "string", "boolean", "object" or "array".
// Default holds a value of that type, or nil when the field has none.
//
// Format refines a type: "color" is a string such as "#ff8800" (#rgb,
// #rrggbb or #rrggbbaa), "box" an object {"x","y","width","height"} in
// pixels, whose parts Properties describes. An array's Items describes what
// it holds, and MinItems and MaxItems how many.
type FieldSpec struct {
	Name       string      `json:"name"`
	Type       string      `json:"type"`
	Format     string      `json:"format,omitempty"`
	Help       string      `json:"help,omitempty"`
	Min        *float64    `json:"min,omitempty"`
	Max        *float64    `json:"max,omitempty"`
	Enum       []string    `json:"enum,omitempty"`
	Default    any         `json:"default,omitempty"`
	Required   bool        `json:"required,omitempty"`
	Items      *FieldSpec  `json:"items,omitempty"`
	MinItems   *float64    `json:"min_items,omitempty"`
	MaxItems   *float64    `json:"max_items,omitempty"`
	Properties []FieldSpec `json:"properties,omitempty"`
}

// Catalogue lists every op, sorted by name, with its fields in declaration
// order. The result is a copy; changing it changes nothing here.
func Catalogue() []OpSpec {
	specs := make([]OpSpec, 0, len(registry.byName))
	for _, info := range registry.byName {
		spec := OpSpec{Name: info.name, Help: info.help, Fields: []FieldSpec{}}
		for _, f := range info.fields {
			spec.Fields = append(spec.Fields, f.spec())
		}
		specs = append(specs, spec)
	}
	slices.SortFunc(specs, func(a, b OpSpec) int { return strings.Compare(a.Name, b.Name) })
	return specs
}

func (f *fieldInfo) spec() FieldSpec {
	s := FieldSpec{
		Name:     f.name,
		Type:     f.typ,
		Format:   f.format,
		Help:     f.help,
		Enum:     slices.Clone(f.enum),
		Default:  f.def,
		Required: f.required,
	}
	if f.typ == "array" {
		s.MinItems, s.MaxItems = copyFloat(f.min), copyFloat(f.max)
		item := f.items.spec()
		s.Items = &item
	} else {
		s.Min, s.Max = copyFloat(f.min), copyFloat(f.max)
	}
	if f.format == "box" {
		s.Properties = boxSpec()
	}
	return s
}

// boxSpec describes a Box's parts, with the ranges Box.check enforces.
func boxSpec() []FieldSpec {
	zero, one, top := 0.0, 1.0, float64(maxBoxCoord)
	return []FieldSpec{
		{Name: "x", Type: "integer", Help: "Left edge, in pixels from the picture's left edge.", Min: &zero, Max: &top, Default: 0},
		{Name: "y", Type: "integer", Help: "Top edge, in pixels from the picture's top edge.", Min: &zero, Max: &top, Default: 0},
		{Name: "width", Type: "integer", Help: "Width, in pixels.", Min: &one, Max: &top, Required: true},
		{Name: "height", Type: "integer", Help: "Height, in pixels.", Min: &one, Max: &top, Required: true},
	}
}

func copyFloat(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
