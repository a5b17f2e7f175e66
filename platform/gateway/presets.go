package gateway

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"

	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/api"
)

// Builtins are the presets everyone has. Their names cannot be taken by a
// saved preset.
var Builtins = []api.Preset{
	{Name: "web", Ops: rawOps(`{"op":"thumbnail","width":2048,"height":2048}`), Format: "jpeg", Quality: 85, Builtin: true},
	{Name: "square-1080", Ops: rawOps(`{"op":"thumbnail","width":1080,"height":1080,"fit":"smart"}`), Builtin: true},
	{Name: "thumbnail-256", Ops: rawOps(`{"op":"thumbnail","width":256,"height":256}`), Builtin: true},
	{Name: "black-and-white", Ops: rawOps(`{"op":"recolor","mode":"grayscale"}`), Builtin: true},
}

func rawOps(ops ...string) []json.RawMessage {
	out := make([]json.RawMessage, len(ops))
	for i, op := range ops {
		out[i] = json.RawMessage(op)
	}
	return out
}

// presetName is what a preset may be called: it is part of a URL path and
// of a bucket key.
var presetName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

const maxPresetsPerOwner = 100

func builtin(name string) (api.Preset, bool) {
	i := slices.IndexFunc(Builtins, func(p api.Preset) bool { return p.Name == name })
	if i < 0 {
		return api.Preset{}, false
	}
	return Builtins[i], true
}

// savePreset stores the caller's preset, replacing one of the same name.
// Its ops and settings are validated as a job's are, so a preset that is
// saved can always be run.
func (g *Gateway) savePreset(w http.ResponseWriter, r *http.Request, owner string) {
	var p api.Preset
	if err := decodeBody(http.MaxBytesReader(w, r.Body, maxJobBody), &p, "preset"); err != nil {
		g.fail(w, r, err)
		return
	}
	switch _, isBuiltin := builtin(p.Name); {
	case !presetName.MatchString(p.Name):
		g.fail(w, r, fault.New(fault.InvalidArgument, "name: %q must be 1 to 64 lower-case letters, digits, - or _, starting with a letter or digit", p.Name))
		return
	case isBuiltin:
		g.fail(w, r, fault.New(fault.InvalidArgument, "name: %q is a built-in preset; choose another name", p.Name))
		return
	}
	// A preset is a job without pictures: check it as one.
	ops, _, err := validateRecipe(api.JobRequest{Ops: p.Ops, Format: p.Format, Quality: p.Quality, Metadata: p.Metadata})
	if err != nil {
		g.fail(w, r, err)
		return
	}
	ctx := r.Context()
	have, err := g.store.PresetNames(ctx, owner)
	if err != nil {
		g.fail(w, r, err)
		return
	}
	if len(have) >= maxPresetsPerOwner && !slices.Contains(have, p.Name) {
		g.fail(w, r, fault.New(fault.InvalidArgument, "presets: you have %d, the most one person may keep; delete one first", len(have)))
		return
	}
	rec := records.Preset{Name: p.Name, Owner: owner, Ops: ops, Format: p.Format, Quality: p.Quality, Metadata: p.Metadata, Created: g.deps.Now().UTC()}
	if err := g.store.PutPreset(ctx, rec); err != nil {
		g.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/presets/"+p.Name)
	writeJSON(w, http.StatusCreated, presetBody(rec))
}

func presetBody(p records.Preset) api.Preset {
	return api.Preset{Name: p.Name, Ops: p.Ops, Format: p.Format, Quality: p.Quality, Metadata: p.Metadata}
}

// listPresets answers the built-in presets, then the caller's.
func (g *Gateway) listPresets(w http.ResponseWriter, r *http.Request, owner string) {
	own, err := g.store.Presets(r.Context(), owner)
	if err != nil {
		g.fail(w, r, err)
		return
	}
	list := api.PresetList{Presets: slices.Clone(Builtins)}
	for _, p := range own {
		list.Presets = append(list.Presets, presetBody(p))
	}
	writeJSON(w, http.StatusOK, list)
}

// getPreset answers one preset, built-in or the caller's.
func (g *Gateway) getPreset(w http.ResponseWriter, r *http.Request, owner string) {
	p, err := g.preset(r, owner, r.PathValue("name"))
	if err != nil {
		g.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// deletePreset removes the caller's preset; deleting one that is not there
// succeeds too, so that a retried delete does not fail.
func (g *Gateway) deletePreset(w http.ResponseWriter, r *http.Request, owner string) {
	name := r.PathValue("name")
	if _, ok := builtin(name); ok {
		g.fail(w, r, fault.New(fault.InvalidArgument, "%q is a built-in preset and cannot be deleted", name))
		return
	}
	if !presetName.MatchString(name) {
		g.fail(w, r, fault.New(fault.NotFound, "no preset %q", name))
		return
	}
	if err := g.store.DeletePreset(r.Context(), owner, name); err != nil {
		g.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// preset finds name among the built-in presets and the owner's.
func (g *Gateway) preset(r *http.Request, owner, name string) (api.Preset, error) {
	if p, ok := builtin(name); ok {
		return p, nil
	}
	if !presetName.MatchString(name) {
		return api.Preset{}, fault.New(fault.NotFound, "no preset %q", name)
	}
	p, err := g.store.Preset(r.Context(), owner, name)
	if fault.KindOf(err) == fault.NotFound {
		return api.Preset{}, fault.New(fault.NotFound, "no preset %q", name)
	}
	return presetBody(p), err
}

// withPreset fills a job request from the preset it names: the preset's
// ops, and its format, quality and metadata where the request has none.
// Naming a preset and giving ops is ambiguous, and refused.
func (g *Gateway) withPreset(r *http.Request, owner string, req api.JobRequest) (api.JobRequest, error) {
	if req.Preset == "" {
		return req, nil
	}
	if len(req.Ops) > 0 {
		return req, fault.New(fault.InvalidArgument, "preset: give a preset or ops, not both")
	}
	p, err := g.preset(r, owner, req.Preset)
	if err != nil {
		if fault.KindOf(err) == fault.NotFound {
			return req, fault.New(fault.InvalidArgument, "preset: no preset %q (GET /v1/presets lists them)", req.Preset)
		}
		return req, err
	}
	req.Ops = p.Ops
	if req.Format == "" {
		req.Format = p.Format
	}
	if req.Quality == 0 {
		req.Quality = p.Quality
	}
	if req.Metadata == "" {
		req.Metadata = p.Metadata
	}
	return req, nil
}
