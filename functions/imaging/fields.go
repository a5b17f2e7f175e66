package imaging

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/pixmill/pixmill/events/fault"
)

// The tags an op's fields may carry, besides json:
//
//	help:"…"          what the field does, for people
//	min:"1" max:"10"  inclusive range, for integer and number fields; for a
//	                  list, how many items it may hold
//	enum:"fit,fill"   the allowed values of a string field
//	format:"color"    a string field, or list of strings, holding colours
//	default:"fit"     the value when the field is left out
//	required:"true"   the field must be given
//
// One piece of reflection reads them, so that validation, the catalogue and
// the compact syntax cannot disagree, and adding an op is adding one file.
//
// Fields are ints, float64s, strings and bools, and three richer types for
// the ops that point at parts of a picture or take several colours: a [Box],
// a list of boxes and a list of strings. Their compact forms are WxH+X+Y for
// a box, as ImageMagick and X11 write geometry, and items separated by ";"
// for a list, since "," separates fields.

// opInfo is what the registry knows of one op, read from its struct tags.
type opInfo struct {
	name   string
	help   string
	typ    reflect.Type // the pointer type, *Thumbnail
	fields []*fieldInfo
}

// fieldInfo is one parameter of an op.
type fieldInfo struct {
	index    int    // in the struct
	name     string // the JSON name; name[i] for a list's item
	typ      string // "integer", "number", "string", "boolean", "object" or "array", as in JSON Schema
	format   string // "color" for colour strings, "box" for a Box, else ""
	help     string
	min, max *float64   // a number's range, or a list's length
	items    *fieldInfo // what a list holds
	enum     []string
	def      any // typed like the field; nil when there is no default
	required bool
}

// Field types the ops may use. Anything richer belongs in an op of its own.
var fieldTypes = map[reflect.Kind]string{
	reflect.Int:     "integer",
	reflect.Float64: "number",
	reflect.String:  "string",
	reflect.Bool:    "boolean",
}

var (
	boxType     = reflect.TypeFor[Box]()
	boxesType   = reflect.TypeFor[[]Box]()
	stringsType = reflect.TypeFor[[]string]()
)

// newOpInfo reads the tags of t, a pointer to an op struct.
func newOpInfo(name string, t reflect.Type, help string) (*opInfo, error) {
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("want a pointer to a struct, got %v", t)
	}
	info := &opInfo{name: name, help: help, typ: t}
	st := t.Elem()
	for i := range st.NumField() {
		sf := st.Field(i)
		if !sf.IsExported() {
			continue
		}
		f, err := newFieldInfo(i, sf)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", sf.Name, err)
		}
		info.fields = append(info.fields, f)
	}
	return info, nil
}

func newFieldInfo(index int, sf reflect.StructField) (*fieldInfo, error) {
	name, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
	if name == "" || name == "-" || name == "op" {
		return nil, errors.New(`needs a json name, other than "op"`)
	}
	var typ string
	switch sf.Type {
	case boxType:
		typ = "object"
	case boxesType, stringsType:
		typ = "array"
	default:
		var ok bool
		if typ, ok = fieldTypes[sf.Type.Kind()]; !ok {
			return nil, fmt.Errorf("type %v is not one of int, float64, string, bool, Box, []Box, []string", sf.Type)
		}
	}
	f := &fieldInfo{index: index, name: name, typ: typ, help: sf.Tag.Get("help")}
	f.required = sf.Tag.Get("required") == "true"
	if s, ok := sf.Tag.Lookup("format"); ok {
		if s != "color" {
			return nil, fmt.Errorf("format %q is not known (known: color)", s)
		}
		if typ != "string" && sf.Type != stringsType {
			return nil, fmt.Errorf("format is only for string fields and lists of strings, not %s", typ)
		}
		f.format = s
	}
	switch sf.Type {
	case boxType:
		// encoding/json never leaves a struct out, so Canonical could not
		// tell a box left out from one at 0,0; a box is always required.
		if !f.required {
			return nil, errors.New("a Box field must be required")
		}
		f.format = "box"
	case boxesType:
		f.items = &fieldInfo{name: name, typ: "object", format: "box"}
	case stringsType:
		f.items = &fieldInfo{name: name, typ: "string", format: f.format}
		f.format = ""
	}
	for _, bound := range []struct {
		tag string
		dst **float64
	}{{"min", &f.min}, {"max", &f.max}} {
		s, ok := sf.Tag.Lookup(bound.tag)
		if !ok {
			continue
		}
		if typ != "integer" && typ != "number" && typ != "array" {
			return nil, fmt.Errorf("%s is only for integer and number fields and lists, not %s", bound.tag, typ)
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("%s %q is not a number", bound.tag, s)
		}
		*bound.dst = &v
	}
	if s, ok := sf.Tag.Lookup("enum"); ok {
		if typ != "string" {
			return nil, fmt.Errorf("enum is only for string fields, not %s", typ)
		}
		f.enum = strings.Split(s, ",")
	}
	if s, ok := sf.Tag.Lookup("default"); ok {
		if f.required {
			return nil, errors.New("both required and defaulted")
		}
		if typ == "object" || typ == "array" {
			return nil, fmt.Errorf("a default is only for single values, not %s", typ)
		}
		v, err := f.parseText(s)
		if err != nil {
			return nil, fmt.Errorf("default: %w", err)
		}
		if err := f.check(v); err != nil {
			return nil, fmt.Errorf("default: %w", err)
		}
		f.def = v
	}
	// Canonical drops fields at their zero value only where that means "left
	// out"; dropping a defaulted or required zero would change the edit.
	omitEmpty := strings.Contains(","+opts+",", ",omitempty,")
	if optional := !f.required && f.def == nil; omitEmpty != optional {
		return nil, errors.New("omitempty must be set exactly on the optional fields without a default")
	}
	return f, nil
}

// newValue returns a pointer to a new op with the defaults filled in.
func (info *opInfo) newValue() reflect.Value {
	v := reflect.New(info.typ.Elem())
	for _, f := range info.fields {
		if f.def != nil {
			v.Elem().Field(f.index).Set(reflect.ValueOf(f.def))
		}
	}
	return v
}

func (info *opInfo) field(name string) (*fieldInfo, error) {
	for _, f := range info.fields {
		if f.name == name {
			return f, nil
		}
	}
	names := make([]string, len(info.fields))
	for i, f := range info.fields {
		names[i] = f.name
	}
	return nil, fault.New(fault.InvalidArgument, "%s: unknown field %q (known: %s)", info.name, name, strings.Join(names, ", "))
}

// validate checks the fields of s, the op struct, in declaration order, then
// the op's own Check. given says whether a field counts as given.
func (info *opInfo) validate(s reflect.Value, given func(*fieldInfo) bool) error {
	for _, f := range info.fields {
		if !given(f) {
			if f.required {
				return fault.New(fault.InvalidArgument, "%s: %s is required", info.name, f.name)
			}
			continue
		}
		if err := f.check(s.Field(f.index).Interface()); err != nil {
			return fault.New(fault.InvalidArgument, "%s: %s", info.name, err)
		}
	}
	if c, ok := s.Addr().Interface().(checker); ok {
		if err := c.Check(); err != nil {
			return fault.New(fault.InvalidArgument, "%s: %s", info.name, err)
		}
	}
	return nil
}

// check tests one value, typed like the field, against the field's range,
// choices or format. Its message starts with the field's name.
func (f *fieldInfo) check(v any) error {
	switch x := v.(type) {
	case int:
		return f.checkRange(float64(x))
	case float64:
		return f.checkRange(x)
	case string:
		if f.enum != nil && !slices.Contains(f.enum, x) {
			return fmt.Errorf("%s must be one of %s, got %q", f.name, strings.Join(f.enum, ", "), x)
		}
		if f.format == "color" {
			if _, err := parseColor(x); err != nil {
				return fmt.Errorf("%s must be a colour written #rgb, #rrggbb or #rrggbbaa, such as #ff8800, got %q", f.name, x)
			}
		}
	case Box:
		return x.check(f.name)
	case []Box:
		if err := f.checkCount(len(x)); err != nil {
			return err
		}
		for i, b := range x {
			if err := b.check(fmt.Sprintf("%s[%d]", f.name, i)); err != nil {
				return err
			}
		}
	case []string:
		if err := f.checkCount(len(x)); err != nil {
			return err
		}
		for i, s := range x {
			item := *f.items
			item.name = fmt.Sprintf("%s[%d]", f.name, i)
			if err := item.check(s); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *fieldInfo) checkRange(n float64) error {
	// Written so that NaN, which compares false with everything, fails.
	inRange := (f.min == nil || n >= *f.min) && (f.max == nil || n <= *f.max)
	if inRange {
		return nil
	}
	got := formatNumber(n)
	switch {
	case f.min != nil && f.max != nil:
		return fmt.Errorf("%s must be between %s and %s, got %s", f.name, formatNumber(*f.min), formatNumber(*f.max), got)
	case f.min != nil:
		return fmt.Errorf("%s must be at least %s, got %s", f.name, formatNumber(*f.min), got)
	default:
		return fmt.Errorf("%s must be at most %s, got %s", f.name, formatNumber(*f.max), got)
	}
}

// checkCount tests a list's length against min and max.
func (f *fieldInfo) checkCount(n int) error {
	if (f.min == nil || float64(n) >= *f.min) && (f.max == nil || float64(n) <= *f.max) {
		return nil
	}
	switch {
	case f.min != nil && f.max != nil && *f.min == *f.max:
		return fmt.Errorf("%s must hold exactly %s items, got %d", f.name, formatNumber(*f.min), n)
	case f.min != nil && f.max != nil:
		return fmt.Errorf("%s must hold between %s and %s items, got %d", f.name, formatNumber(*f.min), formatNumber(*f.max), n)
	case f.min != nil:
		return fmt.Errorf("%s must hold at least %s items, got %d", f.name, formatNumber(*f.min), n)
	default:
		return fmt.Errorf("%s must hold at most %s items, got %d", f.name, formatNumber(*f.max), n)
	}
}

// decode sets dst, the struct field, from its JSON value.
func (f *fieldInfo) decode(dst reflect.Value, raw json.RawMessage) error {
	// json.Unmarshal leaves a field untouched for null, which would pass for
	// "left out"; a null is a mistake the sender should hear about.
	if string(raw) == "null" {
		return fmt.Errorf("%s must be %s, got null", f.name, f.article())
	}
	switch f.typ {
	case "object":
		b, err := decodeBox(f.name, raw)
		if err != nil {
			return err
		}
		dst.Set(reflect.ValueOf(b))
		return nil
	case "array":
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return fmt.Errorf("%s must be %s, got %s", f.name, f.article(), quote(raw))
		}
		if len(items) == 0 {
			return nil // an empty list is the list left out, as Canonical writes it
		}
		if f.items.typ == "object" {
			boxes := make([]Box, len(items))
			for i, it := range items {
				b, err := decodeBox(fmt.Sprintf("%s[%d]", f.name, i), it)
				if err != nil {
					return err
				}
				boxes[i] = b
			}
			dst.Set(reflect.ValueOf(boxes))
			return nil
		}
		strs := make([]string, len(items))
		for i, it := range items {
			if err := json.Unmarshal(it, &strs[i]); err != nil || string(it) == "null" {
				return fmt.Errorf("%s[%d] must be a string, got %s", f.name, i, quote(it))
			}
		}
		dst.Set(reflect.ValueOf(strs))
		return nil
	}
	if err := json.Unmarshal(raw, dst.Addr().Interface()); err != nil {
		return fmt.Errorf("%s must be %s, got %s", f.name, f.article(), quote(raw))
	}
	return nil
}

// parseText reads the field's value from text, as in tags and the compact syntax.
func (f *fieldInfo) parseText(s string) (any, error) {
	var (
		v   any
		err error
	)
	switch f.typ {
	case "integer":
		v, err = strconv.Atoi(s)
	case "number":
		var x float64
		x, err = strconv.ParseFloat(s, 64)
		if err == nil && (math.IsNaN(x) || math.IsInf(x, 0)) {
			err = errors.New("not finite") // JSON cannot carry NaN or infinities
		}
		v = x
	case "boolean":
		v, err = strconv.ParseBool(s)
	case "object":
		b, ok := parseBoxText(s)
		if !ok {
			return nil, fmt.Errorf("%s must be a box written WxH+X+Y, such as 100x50+10+20, got %q", f.name, s)
		}
		v = b
	case "array":
		var parts []string
		if strings.TrimSpace(s) != "" {
			parts = strings.Split(s, ";")
		}
		if f.items.typ == "object" {
			boxes := make([]Box, len(parts))
			for i, p := range parts {
				b, ok := parseBoxText(strings.TrimSpace(p))
				if !ok {
					return nil, fmt.Errorf("%s must be boxes written WxH+X+Y and separated by ;, such as 40x30+10+20;40x30+80+20, got %q", f.name, s)
				}
				boxes[i] = b
			}
			v = boxes
		} else {
			strs := make([]string, len(parts))
			for i, p := range parts {
				strs[i] = strings.TrimSpace(p)
			}
			v = strs
		}
	default:
		v = s
	}
	if err != nil {
		return nil, fmt.Errorf("%s must be %s, got %q", f.name, f.article(), s)
	}
	return v, nil
}

func (f *fieldInfo) article() string {
	switch f.typ {
	case "integer":
		return "an integer"
	case "number":
		return "a number"
	case "boolean":
		return "true or false"
	case "object":
		return "a box such as " + boxExample
	case "array":
		switch {
		case f.items.typ == "object":
			return "a list of boxes such as [" + boxExample + "]"
		case f.items.format == "color":
			return `a list of colours such as ["#203050","#f0e0c0"]`
		default:
			return "a list of strings"
		}
	default:
		return "a string"
	}
}

func formatNumber(n float64) string {
	return strconv.FormatFloat(n, 'g', -1, 64)
}
