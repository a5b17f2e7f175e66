package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func TestCtyType(t *testing.T) {
	tests := []struct {
		in   string
		want tftypes.Type
	}{
		{`"string"`, tftypes.String},
		{`"number"`, tftypes.Number},
		{`"bool"`, tftypes.Bool},
		{`"dynamic"`, tftypes.DynamicPseudoType},
		{`["list","string"]`, tftypes.List{ElementType: tftypes.String}},
		{`["set",["map","number"]]`, tftypes.Set{ElementType: tftypes.Map{ElementType: tftypes.Number}}},
		{`["object",{"a":"bool"}]`, tftypes.Object{AttributeTypes: map[string]tftypes.Type{"a": tftypes.Bool}}},
		{`["tuple",["string","number"]]`, tftypes.Tuple{ElementTypes: []tftypes.Type{tftypes.String, tftypes.Number}}},
	}
	for _, tt := range tests {
		got, err := ctyType(json.RawMessage(tt.in))
		if err != nil {
			t.Errorf("ctyType(%s): %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) {
			t.Errorf("ctyType(%s) = %v, want %v", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{`"text"`, `["list"]`, `["array","string"]`, `42`} {
		if _, err := ctyType(json.RawMessage(bad)); err == nil {
			t.Errorf("ctyType(%s) succeeded, want an error", bad)
		}
	}
}

// The transcribed schema the lint serves must load, and keep the blocks the
// module depends on.
func TestLoadGoogleSchema(t *testing.T) {
	s, err := load(filepath.Join("..", "..", "..", "schemas", "terraform", "google.json"), defaultAddr)
	if err != nil {
		t.Fatal(err)
	}
	sub := s.resources["google_pubsub_subscription"]
	if sub == nil {
		t.Fatal("no google_pubsub_subscription")
	}
	var blocks []string
	for _, b := range sub.Block.BlockTypes {
		blocks = append(blocks, b.TypeName)
		if b.TypeName == "dead_letter_policy" && (b.Nesting != tfprotov6.SchemaNestedBlockNestingModeList || b.MaxItems != 1) {
			t.Errorf("dead_letter_policy: nesting %v, max %d; want a list of at most 1", b.Nesting, b.MaxItems)
		}
	}
	for _, want := range []string{"dead_letter_policy", "retry_policy", "push_config", "expiration_policy"} {
		if !strings.Contains(strings.Join(blocks, " "), want) {
			t.Errorf("google_pubsub_subscription has no %s block (has %v)", want, blocks)
		}
	}
	if s.dataSources["google_project"] == nil {
		t.Error("no data source google_project")
	}

	// The functions' Cloud Run services: template is required (exactly one),
	// containers hold the image, and env is a set of name/value blocks.
	run := s.resources["google_cloud_run_v2_service"]
	if run == nil {
		t.Fatal("no google_cloud_run_v2_service")
	}
	tmpl := nested(run.Block, "template")
	if tmpl == nil || tmpl.MinItems != 1 || tmpl.MaxItems != 1 {
		t.Fatalf("google_cloud_run_v2_service.template: %+v; want a required block of exactly one", tmpl)
	}
	ctr := nested(tmpl.Block, "containers")
	if ctr == nil || !required(ctr.Block, "image") {
		t.Fatal("google_cloud_run_v2_service.template.containers has no required image")
	}
	if env := nested(ctr.Block, "env"); env == nil || env.Nesting != tfprotov6.SchemaNestedBlockNestingModeSet || !required(env.Block, "name") {
		t.Errorf("google_cloud_run_v2_service.template.containers.env: %+v; want a set of blocks with a required name", env)
	}
	for _, want := range []string{"scaling", "vpc_access", "volumes"} {
		if nested(tmpl.Block, want) == nil {
			t.Errorf("google_cloud_run_v2_service.template has no %s block", want)
		}
	}
	if m := s.resources["google_cloud_run_v2_service_iam_member"]; m == nil || !required(m.Block, "name") {
		t.Error("no google_cloud_run_v2_service_iam_member with a required name")
	}
}

func nested(b *tfprotov6.SchemaBlock, name string) *tfprotov6.SchemaNestedBlock {
	for _, n := range b.BlockTypes {
		if n.TypeName == name {
			return n
		}
	}
	return nil
}

func required(b *tfprotov6.SchemaBlock, name string) bool {
	for _, a := range b.Attributes {
		if a.Name == name {
			return a.Required
		}
	}
	return false
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	doc := `{"provider_schemas":{"registry.terraform.io/hashicorp/google":{"resource_schemas":{"x":{"block":{"attributes":{"a":{"type":"text"}}}}}}}}`
	if err := os.WriteFile(bad, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := load(bad, defaultAddr); err == nil || !strings.Contains(err.Error(), "x: attribute a") {
		t.Errorf("load of a bad type: %v, want an error naming x and a", err)
	}
	if _, err := load(bad, "registry.terraform.io/hashicorp/aws"); err == nil {
		t.Error("load for a provider the document lacks succeeded")
	}
	if _, err := load("", defaultAddr); err == nil {
		t.Error("load with no path succeeded")
	}
}
