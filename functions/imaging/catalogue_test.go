package imaging

import (
	"encoding/json"
	"testing"
)

func TestCatalogue(t *testing.T) {
	got, err := json.Marshal(Catalogue())
	if err != nil {
		t.Fatal(err)
	}
	// The JSON a web page reads to build its form. Help texts are left out
	// of the comparison; they are checked for presence below.
	var specs []OpSpec
	if err := json.Unmarshal(got, &specs); err != nil {
		t.Fatal(err)
	}
	for i := range specs {
		if specs[i].Help == "" {
			t.Errorf("op %s has no help", specs[i].Name)
		}
		specs[i].Help = ""
		for j := range specs[i].Fields {
			if specs[i].Fields[j].Help == "" {
				t.Errorf("field %s.%s has no help", specs[i].Name, specs[i].Fields[j].Name)
			}
			specs[i].Fields[j].Help = ""
		}
	}
	stripped, _ := json.Marshal(specs)
	want := `[` +
		`{"name":"brightness","help":"","fields":[{"name":"factor","type":"number","min":0,"max":10,"default":1}]},` +
		`{"name":"crop","help":"","fields":[` +
		`{"name":"x","type":"integer","min":0,"max":100000,"default":0},` +
		`{"name":"y","type":"integer","min":0,"max":100000,"default":0},` +
		`{"name":"width","type":"integer","min":1,"max":100000,"required":true},` +
		`{"name":"height","type":"integer","min":1,"max":100000,"required":true}]},` +
		`{"name":"thumbnail","help":"","fields":[` +
		`{"name":"width","type":"integer","min":1,"max":10000},` +
		`{"name":"height","type":"integer","min":1,"max":10000},` +
		`{"name":"fit","type":"string","enum":["fit","fill"],"default":"fit"}]}` +
		`]`
	if string(stripped) != want {
		t.Errorf("catalogue:\n got %s\nwant %s", stripped, want)
	}
}

// Catalogue hands out copies: a caller's change must not reach the registry.
func TestCatalogueIsACopy(t *testing.T) {
	c := Catalogue()
	for _, s := range c {
		for _, f := range s.Fields {
			if f.Max != nil {
				*f.Max = -1
			}
			if f.Enum != nil {
				f.Enum[0] = "changed"
			}
		}
	}
	if _, err := Parse(json.RawMessage(`{"op":"thumbnail","width":256,"fit":"fit"}`)); err != nil {
		t.Errorf("registry changed through the catalogue: %v", err)
	}
}
