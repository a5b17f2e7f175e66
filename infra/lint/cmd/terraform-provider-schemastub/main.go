// Command terraform-provider-schemastub is a Terraform provider that knows a
// provider's schema and nothing else. It reads the schema from a document in
// the format of `terraform providers schema -json` (the file named by
// $PIXMILL_TF_SCHEMA) and accepts every configuration that fits it.
//
// pixmill's infrastructure lint uses it to run `terraform validate` where
// the real provider cannot be downloaded: Terraform then checks everything it
// checks itself (syntax, references, types, module inputs and outputs,
// required arguments, unknown arguments and blocks, nesting limits) against
// the schema in the document. What the real provider adds on top (its
// validation functions: enum values, formats, conflicting arguments) is not
// checked. It cannot plan or apply: those calls fail.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The schema document and the provider it describes.
const (
	envSchema   = "PIXMILL_TF_SCHEMA"
	envProvider = "PIXMILL_TF_PROVIDER"
	defaultAddr = "registry.terraform.io/hashicorp/google"
)

func main() {
	addr := os.Getenv(envProvider)
	if addr == "" {
		addr = defaultAddr
	}
	s, err := load(os.Getenv(envSchema), addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "terraform-provider-schemastub:", err)
		os.Exit(1)
	}
	if err := tf6server.Serve(addr, func() tfprotov6.ProviderServer { return s }); err != nil {
		fmt.Fprintln(os.Stderr, "terraform-provider-schemastub:", err)
		os.Exit(1)
	}
}

// document is the part of `terraform providers schema -json` output read here.
type document struct {
	ProviderSchemas map[string]struct {
		Provider    *jsonSchema           `json:"provider"`
		Resources   map[string]jsonSchema `json:"resource_schemas"`
		DataSources map[string]jsonSchema `json:"data_source_schemas"`
	} `json:"provider_schemas"`
}

type jsonSchema struct {
	Version int64     `json:"version"`
	Block   jsonBlock `json:"block"`
}

type jsonBlock struct {
	Attributes map[string]jsonAttribute `json:"attributes"`
	BlockTypes map[string]jsonNested    `json:"block_types"`
}

type jsonAttribute struct {
	Type      json.RawMessage `json:"type"`
	Required  bool            `json:"required"`
	Optional  bool            `json:"optional"`
	Computed  bool            `json:"computed"`
	Sensitive bool            `json:"sensitive"`
}

type jsonNested struct {
	NestingMode string    `json:"nesting_mode"`
	Block       jsonBlock `json:"block"`
	MinItems    int64     `json:"min_items"`
	MaxItems    int64     `json:"max_items"`
}

func load(path, addr string) (*server, error) {
	if path == "" {
		return nil, fmt.Errorf("%s: the path of a schema document is required", envSchema)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc document
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p, ok := doc.ProviderSchemas[addr]
	if !ok {
		return nil, fmt.Errorf("%s: no schema for provider %q", path, addr)
	}
	s := &server{resources: map[string]*tfprotov6.Schema{}, dataSources: map[string]*tfprotov6.Schema{}}
	var errs []error
	if p.Provider != nil {
		s.provider, err = p.Provider.convert()
		errs = append(errs, wrap("provider", err))
	}
	for name, r := range p.Resources {
		s.resources[name], err = r.convert()
		errs = append(errs, wrap(name, err))
	}
	for name, d := range p.DataSources {
		s.dataSources[name], err = d.convert()
		errs = append(errs, wrap("data "+name, err))
	}
	if s.provider == nil {
		s.provider = &tfprotov6.Schema{Block: &tfprotov6.SchemaBlock{}}
	}
	return s, errors.Join(errs...)
}

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

func (j jsonSchema) convert() (*tfprotov6.Schema, error) {
	b, err := j.Block.convert()
	return &tfprotov6.Schema{Version: j.Version, Block: b}, err
}

func (j jsonBlock) convert() (*tfprotov6.SchemaBlock, error) {
	b := &tfprotov6.SchemaBlock{}
	var errs []error
	for _, name := range sorted(j.Attributes) {
		a := j.Attributes[name]
		t, err := ctyType(a.Type)
		if err != nil {
			errs = append(errs, fmt.Errorf("attribute %s: %w", name, err))
			continue
		}
		b.Attributes = append(b.Attributes, &tfprotov6.SchemaAttribute{
			Name: name, Type: t, Required: a.Required, Optional: a.Optional, Computed: a.Computed, Sensitive: a.Sensitive,
		})
	}
	for _, name := range sorted(j.BlockTypes) {
		n := j.BlockTypes[name]
		inner, err := n.Block.convert()
		if err != nil {
			errs = append(errs, fmt.Errorf("block %s: %w", name, err))
			continue
		}
		mode, ok := nestingModes[n.NestingMode]
		if !ok {
			errs = append(errs, fmt.Errorf("block %s: unknown nesting_mode %q", name, n.NestingMode))
			continue
		}
		b.BlockTypes = append(b.BlockTypes, &tfprotov6.SchemaNestedBlock{
			TypeName: name, Block: inner, Nesting: mode, MinItems: n.MinItems, MaxItems: n.MaxItems,
		})
	}
	return b, errors.Join(errs...)
}

var nestingModes = map[string]tfprotov6.SchemaNestedBlockNestingMode{
	"single": tfprotov6.SchemaNestedBlockNestingModeSingle,
	"group":  tfprotov6.SchemaNestedBlockNestingModeGroup,
	"list":   tfprotov6.SchemaNestedBlockNestingModeList,
	"set":    tfprotov6.SchemaNestedBlockNestingModeSet,
	"map":    tfprotov6.SchemaNestedBlockNestingModeMap,
}

// ctyType reads a type in cty's JSON notation: "string", "number", "bool",
// "dynamic", ["list"|"set"|"map", T], ["object", {name: T}], ["tuple", [T…]].
func ctyType(raw json.RawMessage) (tftypes.Type, error) {
	var prim string
	if json.Unmarshal(raw, &prim) == nil {
		switch prim {
		case "string":
			return tftypes.String, nil
		case "number":
			return tftypes.Number, nil
		case "bool":
			return tftypes.Bool, nil
		case "dynamic":
			return tftypes.DynamicPseudoType, nil
		}
		return nil, fmt.Errorf("unknown type %q", prim)
	}
	var pair []json.RawMessage
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return nil, fmt.Errorf("type %s is neither a name nor a [kind, element] pair", raw)
	}
	var kind string
	if err := json.Unmarshal(pair[0], &kind); err != nil {
		return nil, fmt.Errorf("type %s: %w", raw, err)
	}
	switch kind {
	case "list", "set", "map":
		elem, err := ctyType(pair[1])
		if err != nil {
			return nil, err
		}
		switch kind {
		case "list":
			return tftypes.List{ElementType: elem}, nil
		case "set":
			return tftypes.Set{ElementType: elem}, nil
		}
		return tftypes.Map{ElementType: elem}, nil
	case "object":
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(pair[1], &fields); err != nil {
			return nil, fmt.Errorf("object type %s: %w", raw, err)
		}
		o := tftypes.Object{AttributeTypes: map[string]tftypes.Type{}}
		for name, f := range fields {
			t, err := ctyType(f)
			if err != nil {
				return nil, err
			}
			o.AttributeTypes[name] = t
		}
		return o, nil
	case "tuple":
		var elems []json.RawMessage
		if err := json.Unmarshal(pair[1], &elems); err != nil {
			return nil, fmt.Errorf("tuple type %s: %w", raw, err)
		}
		t := tftypes.Tuple{}
		for _, e := range elems {
			et, err := ctyType(e)
			if err != nil {
				return nil, err
			}
			t.ElementTypes = append(t.ElementTypes, et)
		}
		return t, nil
	}
	return nil, fmt.Errorf("unknown type kind %q", kind)
}

func sorted[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// server answers the schema and validation calls `terraform validate` makes.
// Every other call is left to the embedded nil interface, and so fails:
// nothing is planned or applied with this provider.
type server struct {
	tfprotov6.ProviderServer

	provider    *tfprotov6.Schema
	resources   map[string]*tfprotov6.Schema
	dataSources map[string]*tfprotov6.Schema
}

func (s *server) GetMetadata(context.Context, *tfprotov6.GetMetadataRequest) (*tfprotov6.GetMetadataResponse, error) {
	resp := &tfprotov6.GetMetadataResponse{}
	for _, name := range sorted(s.resources) {
		resp.Resources = append(resp.Resources, tfprotov6.ResourceMetadata{TypeName: name})
	}
	for _, name := range sorted(s.dataSources) {
		resp.DataSources = append(resp.DataSources, tfprotov6.DataSourceMetadata{TypeName: name})
	}
	return resp, nil
}

func (s *server) GetProviderSchema(context.Context, *tfprotov6.GetProviderSchemaRequest) (*tfprotov6.GetProviderSchemaResponse, error) {
	return &tfprotov6.GetProviderSchemaResponse{
		Provider:                 s.provider,
		ResourceSchemas:          s.resources,
		DataSourceSchemas:        s.dataSources,
		Functions:                map[string]*tfprotov6.Function{},
		EphemeralResourceSchemas: map[string]*tfprotov6.Schema{},
	}, nil
}

func (s *server) GetResourceIdentitySchemas(context.Context, *tfprotov6.GetResourceIdentitySchemasRequest) (*tfprotov6.GetResourceIdentitySchemasResponse, error) {
	return &tfprotov6.GetResourceIdentitySchemasResponse{IdentitySchemas: map[string]*tfprotov6.ResourceIdentitySchema{}}, nil
}

func (s *server) GetFunctions(context.Context, *tfprotov6.GetFunctionsRequest) (*tfprotov6.GetFunctionsResponse, error) {
	return &tfprotov6.GetFunctionsResponse{Functions: map[string]*tfprotov6.Function{}}, nil
}

func (s *server) ValidateProviderConfig(_ context.Context, req *tfprotov6.ValidateProviderConfigRequest) (*tfprotov6.ValidateProviderConfigResponse, error) {
	return &tfprotov6.ValidateProviderConfigResponse{PreparedConfig: req.Config}, nil
}

func (s *server) ValidateResourceConfig(context.Context, *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return &tfprotov6.ValidateResourceConfigResponse{}, nil
}

func (s *server) ValidateDataResourceConfig(context.Context, *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	return &tfprotov6.ValidateDataResourceConfigResponse{}, nil
}

func (s *server) StopProvider(context.Context, *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	return &tfprotov6.StopProviderResponse{}, nil
}
