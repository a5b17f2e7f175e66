package imaging

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzParseCompact feeds arbitrary command-line op specs to the parser. It
// must never panic; a spec it accepts must be a JSON op that Parse accepts,
// and whose canonical form parses back to itself.
func FuzzParseCompact(f *testing.F) {
	for _, s := range []string{
		"thumbnail:width=256,height=256",
		"thumbnail:width=256,fit=fill",
		"crop:x=0,y=0,width=10,height=10",
		"brightness:factor=1.2",
		"brightness:factor=1e309",
		"thumbnail:width=-1",
		"thumbnail:width=256,width=128",
		"thumbnail:",
		":width=1",
		"thumbnail:width=\"256\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		raw, err := ParseCompact(spec)
		if err != nil {
			return
		}
		op, err := Parse(raw)
		if err != nil {
			t.Fatalf("ParseCompact(%q) gave %s, which Parse refuses: %v", spec, raw, err)
		}
		canonicalRoundTrip(t, op)
	})
}

// FuzzParse feeds arbitrary JSON to the op parser: no panic, and an accepted
// op's canonical form parses back to itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"op":"thumbnail","width":256,"height":256}`,
		`{"op":"crop","x":1,"y":2,"width":3,"height":4}`,
		`{"op":"brightness","factor":0.5}`,
		`{"op":"brightness","factor":"high"}`,
		`{"op":"thumbnail","width":1.5}`,
		`{"op":"thumbnail","op":"crop"}`,
		`{"width":3}`,
		`[]`,
		`{"op":"thumbnail","width":256,"widht":3}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		op, err := Parse(json.RawMessage(raw))
		if err != nil {
			return
		}
		canonicalRoundTrip(t, op)
	})
}

func canonicalRoundTrip(t *testing.T, op Op) {
	t.Helper()
	canon := Canonical(op)
	again, err := Parse(canon)
	if err != nil {
		t.Fatalf("canonical form %s does not parse: %v", canon, err)
	}
	if c2 := Canonical(again); !bytes.Equal(canon, c2) {
		t.Fatalf("canonical form is not stable: %s then %s", canon, c2)
	}
}
