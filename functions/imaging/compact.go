package imaging

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/pixmill/pixmill/events/fault"
)

// ParseCompact turns the command-line form of one op into its JSON form:
//
//	thumbnail:width=256,height=256,fit=fill
//	→ {"op":"thumbnail","width":256,"height":256,"fit":"fill"}
//
// The name comes before the colon, then name=value pairs separated by commas
// (so string values cannot hold commas); a box is written WxH+X+Y, and the
// items of a list are separated by ";". Values are typed by the op's fields:
// "256" is a number for width and a string for a string field. The result is
// checked as [Parse] would check it, with the same errors, and keeps the
// fields the user wrote in their order, without filling defaults.
func ParseCompact(s string) (json.RawMessage, error) {
	name, args, _ := strings.Cut(strings.TrimSpace(s), ":")
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, fault.New(fault.InvalidArgument, "an op is written name:field=value,… such as thumbnail:width=256, got %q", s)
	}
	info, err := lookupOp(name)
	if err != nil {
		return nil, err
	}

	var b bytes.Buffer
	b.WriteString(`{"op":`)
	writeJSON(&b, name)
	seen := map[string]bool{}
	if strings.TrimSpace(args) != "" {
		for _, pair := range strings.Split(args, ",") {
			key, text, ok := strings.Cut(pair, "=")
			key = strings.TrimSpace(key)
			if !ok || key == "" {
				return nil, fault.New(fault.InvalidArgument, "%s: %q must be written field=value", name, strings.TrimSpace(pair))
			}
			f, err := info.field(key)
			if err != nil {
				return nil, err
			}
			if seen[key] {
				return nil, fault.New(fault.InvalidArgument, "%s: %s is given twice", name, key)
			}
			seen[key] = true
			v, err := f.parseText(strings.TrimSpace(text))
			if err != nil {
				return nil, fault.New(fault.InvalidArgument, "%s: %s", name, err)
			}
			b.WriteByte(',')
			writeJSON(&b, key)
			b.WriteByte(':')
			writeJSON(&b, v)
		}
	}
	b.WriteByte('}')

	raw := json.RawMessage(b.Bytes())
	if _, err := Parse(raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// writeJSON writes a field value (a string, int, float64, bool, box or list
// of them), which cannot fail to marshal.
func writeJSON(b *bytes.Buffer, v any) {
	out, _ := json.Marshal(v)
	b.Write(out)
}
