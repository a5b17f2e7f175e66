package imaging

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/pixmill/pixmill/events/fault"
)

// Op is one step of an edit. The ops are the exported structs of this
// package (*Thumbnail, *Crop, …); get one from [Parse], or fill every field
// of one by hand. An op's fields are its parameters.
type Op interface {
	// Name is the op's registered name, the "op" of its JSON form.
	Name() string
	// apply runs the step on a decoded picture. It keeps Op sealed: a new op
	// is a new file in this package, because steps need libvips.
	apply(img *vips.ImageRef) error
}

// loadingOp is an op that can do its work while the picture is decoded,
// which is far cheaper than decoding it whole and working afterwards. The
// pipeline uses load instead of apply when such an op comes first.
type loadingOp interface {
	Op
	load(src []byte) (*vips.ImageRef, error)
}

// checker is an op with a rule that spans fields, which tags cannot say. The
// error's text is prefixed with the op's name and becomes InvalidArgument.
type checker interface {
	Check() error
}

// Needer is an op that needs pictures besides the one it edits, such as a
// watermark's logo. Ops do no I/O: the caller of [Process] reads each picture
// that Needs names, by its image id, and hands the bytes to Provide before
// calling Process. The ids come from the person who asked for the edit, so
// the caller must check that each belongs to that person, as it checks the
// picture being edited, and must read it from the key it keeps for that id,
// never from a key built from the id's text. Process fails with
// fault.InvalidArgument when a needed picture was not provided.
type Needer interface {
	Op
	// Needs lists the image ids the op reads; empty when it reads none.
	Needs() []string
	// Provide hands over the bytes of the picture with image id. It fails
	// with fault.InvalidArgument when the op does not need that id and with
	// fault.Permanent when the bytes are not a picture that can be read.
	Provide(id string, data []byte) error
}

// registry holds every op, by name and by Go type. It is filled by the ops'
// init functions and read-only afterwards, so it needs no lock.
var registry = struct {
	byName map[string]*opInfo
	byType map[reflect.Type]*opInfo
}{map[string]*opInfo{}, map[reflect.Type]*opInfo{}}

// register adds an op. proto is a pointer to the op's zero value. A tag that
// cannot be honoured is a programming error found at start-up, so it panics.
func register(proto Op, help string) {
	info, err := newOpInfo(proto.Name(), reflect.TypeOf(proto), help)
	if err != nil {
		panic(fmt.Sprintf("imaging: registering op %q: %v", proto.Name(), err))
	}
	if _, dup := registry.byName[info.name]; dup {
		panic(fmt.Sprintf("imaging: op %q registered twice", info.name))
	}
	registry.byName[info.name] = info
	registry.byType[info.typ] = info
}

// opNames lists the registered ops for error messages, sorted.
func opNames() string {
	names := make([]string, 0, len(registry.byName))
	for name := range registry.byName {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func lookupOp(name string) (*opInfo, error) {
	info, ok := registry.byName[name]
	if !ok {
		return nil, fault.New(fault.InvalidArgument, "unknown op %q (known: %s)", name, opNames())
	}
	return info, nil
}

// Parse reads one op from its JSON form, {"op":"thumbnail","width":256}.
// Fields left out take their defaults. Every error is fault.InvalidArgument
// and names the op, the field and the bad value.
func Parse(raw json.RawMessage) (Op, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, fault.New(fault.InvalidArgument, `an op must be a JSON object such as {"op":"thumbnail","width":256}, got %s`, quote(raw))
	}
	nameRaw, ok := obj["op"]
	if !ok {
		return nil, fault.New(fault.InvalidArgument, `an op needs "op", its name (known: %s)`, opNames())
	}
	var name string
	if err := json.Unmarshal(nameRaw, &name); err != nil {
		return nil, fault.New(fault.InvalidArgument, `"op" must be a string, got %s`, quote(nameRaw))
	}
	info, err := lookupOp(name)
	if err != nil {
		return nil, err
	}
	delete(obj, "op")

	v := info.newValue()
	present := map[int]bool{}
	// Sorted so that, of several bad fields, the same one is always reported.
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f, err := info.field(k)
		if err != nil {
			return nil, err
		}
		if err := f.decode(v.Elem().Field(f.index), obj[k]); err != nil {
			return nil, fault.New(fault.InvalidArgument, "%s: %s", info.name, err)
		}
		present[f.index] = true
	}
	op := v.Interface().(Op)
	if err := info.validate(v.Elem(), func(f *fieldInfo) bool { return present[f.index] || f.def != nil }); err != nil {
		return nil, err
	}
	return op, nil
}

// Canonical writes op in its JSON form with every defaulted field spelled
// out, "op" first and the fields in declaration order, so that the same edit
// always gives the same bytes. Optional fields that were not given stay out.
func Canonical(op Op) json.RawMessage {
	body, err := json.Marshal(op)
	if err != nil {
		// Ops hold only ints, floats, strings, bools, boxes and lists of
		// them, which always marshal.
		panic(fmt.Sprintf("imaging: marshalling op %q: %v", op.Name(), err))
	}
	name, _ := json.Marshal(op.Name())
	var b bytes.Buffer
	b.WriteString(`{"op":`)
	b.Write(name)
	if len(body) > 2 {
		b.WriteByte(',')
		b.Write(body[1:])
	} else {
		b.WriteByte('}')
	}
	return b.Bytes()
}

// validateOp checks an op that may have been built by hand, with the same
// rules as Parse. Without the JSON it cannot tell "left out" from "zero", so
// an optional field at its zero value counts as left out.
func validateOp(op Op) error {
	v := reflect.ValueOf(op)
	info, ok := registry.byType[v.Type()]
	if !ok {
		return fault.New(fault.InvalidArgument, "op %q is not registered (known: %s)", op.Name(), opNames())
	}
	if v.IsNil() {
		return fault.New(fault.InvalidArgument, "%s: the op is a nil pointer", info.name)
	}
	s := v.Elem()
	return info.validate(s, func(f *fieldInfo) bool {
		return f.required || f.def != nil || !s.Field(f.index).IsZero()
	})
}

// quote shortens a JSON value for an error message.
func quote(raw []byte) string {
	const limit = 40
	s := strings.TrimSpace(string(raw))
	if s == "" {
		return "nothing"
	}
	if r := []rune(s); len(r) > limit {
		s = string(r[:limit]) + "…"
	}
	return s
}

// lengthIn is a length in pixels, given either in pixels or as a share of
// img's shorter side (def when neither is given), and never under floor,
// the smallest the libvips operation takes.
func lengthIn(img *vips.ImageRef, pixels, share, def, floor float64) float64 {
	if pixels != 0 {
		return pixels
	}
	if share == 0 {
		share = def
	}
	return max(floor, share*float64(min(img.Width(), img.Height())))
}
