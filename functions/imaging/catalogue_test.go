package imaging

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCatalogue(t *testing.T) {
	got, err := json.Marshal(Catalogue())
	if err != nil {
		t.Fatal(err)
	}
	// The JSON a web page reads to build its form, one line per op. Help
	// texts are left out of the comparison; they are checked for presence.
	var specs []OpSpec
	if err := json.Unmarshal(got, &specs); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, op := range specs {
		if op.Help == "" {
			t.Errorf("op %s has no help", op.Name)
		}
		var fields []string
		for _, f := range op.Fields {
			if f.Help == "" {
				t.Errorf("field %s.%s has no help", op.Name, f.Name)
			}
			fields = append(fields, fieldLine(f))
		}
		lines = append(lines, op.Name+": "+strings.Join(fields, "; "))
	}
	want := []string{
		"blur: size number 0.0001..0.1; sigma number 0.1..100",
		"brightness: factor number 0..10 =1",
		"contrast: factor number 0..10 =1",
		"crop: x integer 0..100000; y integer 0..100000; width integer 1..100000 required; height integer 1..100000 required; gravity string centre|north|south|east|west|north-east|north-west|south-east|south-west|smart",
		"enhance: strength number 0..1 =1",
		"flip: direction string horizontal|vertical =horizontal",
		"gamma: factor number 0.1..10 =1",
		"recolor: hue number -360..360 =0; mode string none|grayscale|sepia =none; tint string/color; strength number 0..1 =0.5; duotone array of string/color [2..2]",
		"redeye: regions array of object/box [..50]",
		"resize: width integer 1..20000; height integer 1..20000; scale number 0.01..10; kernel string nearest|linear|cubic|lanczos3 =lanczos3",
		"rotate: angle number -360..360 required; background string/color =#000000",
		"saturation: factor number 0..10 =1",
		"sharpen: size number 5e-05..0.01; sigma number 0.3..10; amount number 0..10 =1",
		"thumbnail: width integer 1..10000; height integer 1..10000; fit string fit|fill|smart =fit; upscale boolean =false",
		"watermark: text string; image string; font_size integer 6..2000; scale number 0.01..1 =0.25; color string/color =#ffffff; opacity number 0..1 =0.5; gravity string centre|north|south|east|west|north-east|north-west|south-east|south-west =south-east",
		"whiten_teeth: region object/box required; strength number 0..1 =0.5",
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("catalogue (-want +got):\n%s", diff)
	}
}

// A box describes its parts, and a list what it holds, in the JSON itself.
func TestCatalogueBoxesAndLists(t *testing.T) {
	var regions, region FieldSpec
	for _, op := range Catalogue() {
		for _, f := range op.Fields {
			switch op.Name + "." + f.Name {
			case "redeye.regions":
				regions = f
			case "whiten_teeth.region":
				region = f
			}
		}
	}
	b, _ := json.Marshal(regions)
	const wantRegions = `{"name":"regions","type":"array","help":"Boxes around eyes, in pixels; only red pupils inside them are corrected. Left out, red pupils are found automatically.",` +
		`"items":{"name":"regions","type":"object","format":"box","properties":[` +
		`{"name":"x","type":"integer","help":"Left edge, in pixels from the picture's left edge.","min":0,"max":100000,"default":0},` +
		`{"name":"y","type":"integer","help":"Top edge, in pixels from the picture's top edge.","min":0,"max":100000,"default":0},` +
		`{"name":"width","type":"integer","help":"Width, in pixels.","min":1,"max":100000,"required":true},` +
		`{"name":"height","type":"integer","help":"Height, in pixels.","min":1,"max":100000,"required":true}]},"max_items":50}`
	if string(b) != wantRegions {
		t.Errorf("redeye.regions:\n got %s\nwant %s", b, wantRegions)
	}
	if region.Type != "object" || region.Format != "box" || len(region.Properties) != 4 || !region.Required {
		t.Errorf("whiten_teeth.region = %+v, want a required box with its four parts", region)
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

// fieldLine writes a field's spec on one line: name, type, format, range or
// choices, default, required.
func fieldLine(f FieldSpec) string {
	s := f.Name + " " + f.Type
	if f.Format != "" {
		s += "/" + f.Format
	}
	if f.Items != nil {
		s += " of " + f.Items.Type
		if f.Items.Format != "" {
			s += "/" + f.Items.Format
		}
	}
	num := func(p *float64) string {
		if p == nil {
			return ""
		}
		return formatNumber(*p)
	}
	if f.Min != nil || f.Max != nil {
		s += " " + num(f.Min) + ".." + num(f.Max)
	}
	if f.MinItems != nil || f.MaxItems != nil {
		s += " [" + num(f.MinItems) + ".." + num(f.MaxItems) + "]"
	}
	if len(f.Enum) > 0 {
		s += " " + strings.Join(f.Enum, "|")
	}
	if f.Default != nil {
		s += fmt.Sprintf(" =%v", f.Default)
	}
	if f.Required {
		s += " required"
	}
	return s
}
