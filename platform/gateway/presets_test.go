package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/functions/imaging"
	"github.com/pixmill/pixmill/platform/api"
)

func (e *env) del(t *testing.T, owner, path string) int {
	t.Helper()
	req, _ := http.NewRequest("DELETE", e.srv.URL+path, nil)
	req.Header.Set("X-Owner", owner)
	return e.do(t, req, nil)
}

// TestPresets: a saved preset is listed after the built-in ones, only to
// its owner, runs as a job's recipe, and goes when deleted.
func TestPresets(t *testing.T) {
	e := newEnv(t, Config{})
	web := api.Preset{Name: "web-small", Ops: rawOps(`{"op":"thumbnail","width":64,"height":64}`, `{"op":"brightness","factor":1.1}`), Format: "webp", Quality: 70}
	var saved api.Preset
	if st := e.postJSON(t, "ann", "/v1/presets", web, &saved); st != http.StatusCreated {
		t.Fatalf("save: %d", st)
	}
	if len(saved.Ops) != 2 || saved.Format != "webp" || saved.Quality != 70 {
		t.Errorf("saved %+v, want the preset as sent", saved)
	}

	var list api.PresetList
	_, _, b := e.get(t, "ann", "/v1/presets")
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range list.Presets {
		names = append(names, p.Name)
	}
	if want := len(Builtins) + 1; len(list.Presets) != want || list.Presets[want-1].Name != "web-small" || !list.Presets[0].Builtin {
		t.Errorf("ann's presets %v, want the %d built-in ones then web-small", names, len(Builtins))
	}
	if st, _, _ := e.get(t, "bob", "/v1/presets/web-small"); st != http.StatusNotFound {
		t.Errorf("bob reads ann's preset: %d, want 404", st)
	}

	// A job naming it gets its ops, format and quality.
	ids := e.uploadOK(t, "ann", 2)
	var job api.Job
	if st := e.postJSON(t, "ann", "/v1/jobs", map[string]any{"images": ids, "preset": "web-small"}, &job); st != http.StatusAccepted {
		t.Fatalf("job with preset: %d", st)
	}
	rec, err := e.store.Job(t.Context(), "ann", job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Ops) != 2 || !strings.Contains(string(rec.Ops[0]), `"thumbnail"`) || rec.Format != "webp" || rec.Quality != 70 {
		t.Errorf("job from the preset: ops %s, format %q, quality %d", rec.Ops, rec.Format, rec.Quality)
	}
	for _, task := range rec.Tasks {
		if task.Output.Format != "webp" || !strings.HasSuffix(task.Output.Key, ".webp") {
			t.Errorf("task %s writes %s as %s, want webp", task.ID, task.Output.Key, task.Output.Format)
		}
	}
	// A built-in one works for everyone.
	bobs := e.uploadOK(t, "bob", 1)
	if st := e.postJSON(t, "bob", "/v1/jobs", map[string]any{"images": bobs, "preset": "black-and-white"}, nil); st != http.StatusAccepted {
		t.Errorf("bob's job with a built-in preset: %d", st)
	}

	if st := e.del(t, "ann", "/v1/presets/web-small"); st != http.StatusNoContent {
		t.Errorf("delete: %d", st)
	}
	if st := e.del(t, "ann", "/v1/presets/web-small"); st != http.StatusNoContent {
		t.Errorf("delete again: %d, want 204 (idempotent)", st)
	}
	if st, _, _ := e.get(t, "ann", "/v1/presets/web-small"); st != http.StatusNotFound {
		t.Errorf("after delete: %d, want 404", st)
	}
}

// TestBuiltinPresetsAreValid: every built-in preset parses as ops and
// names a format pixmill writes.
func TestBuiltinPresetsAreValid(t *testing.T) {
	for _, p := range Builtins {
		if _, _, err := validateRecipe(api.JobRequest{Ops: p.Ops, Format: p.Format, Quality: p.Quality, Metadata: p.Metadata}); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
		if !presetName.MatchString(p.Name) {
			t.Errorf("%s: not a valid preset name", p.Name)
		}
		for _, raw := range p.Ops {
			if _, err := imaging.Parse(raw); err != nil {
				t.Errorf("%s: %s: %v", p.Name, raw, err)
			}
		}
	}
}

// TestPresetsPerOwnerBound: one owner keeps at most maxPresetsPerOwner;
// replacing one of them is still allowed, and another owner is not held
// back.
func TestPresetsPerOwnerBound(t *testing.T) {
	e := newEnv(t, Config{})
	thumb := rawOps(`{"op":"thumbnail","width":64}`)
	for i := range maxPresetsPerOwner {
		if st := e.postJSON(t, "ann", "/v1/presets", api.Preset{Name: fmt.Sprintf("p%03d", i), Ops: thumb}, nil); st != http.StatusCreated {
			t.Fatalf("preset %d: %d", i, st)
		}
	}
	var body api.Error
	if st := e.postJSON(t, "ann", "/v1/presets", api.Preset{Name: "one-more", Ops: thumb}, &body); st != http.StatusBadRequest || !strings.Contains(body.Error, "delete one first") {
		t.Errorf("preset %d: %d %q, want 400 naming the bound", maxPresetsPerOwner+1, st, body.Error)
	}
	if st := e.postJSON(t, "ann", "/v1/presets", api.Preset{Name: "p007", Ops: thumb, Format: "png"}, nil); st != http.StatusCreated {
		t.Errorf("replacing a preset at the bound: %d, want 201", st)
	}
	if st := e.postJSON(t, "bob", "/v1/presets", api.Preset{Name: "one-more", Ops: thumb}, nil); st != http.StatusCreated {
		t.Errorf("bob's first preset: %d, want 201", st)
	}
	names, err := e.store.PresetNames(t.Context(), "ann")
	if err != nil || len(names) != maxPresetsPerOwner || names[7] != "p007" {
		t.Errorf("ann's presets: %d names (%v), want %d with p007", len(names), err, maxPresetsPerOwner)
	}
}

func TestPresetsRefused(t *testing.T) {
	e := newEnv(t, Config{})
	thumb := rawOps(`{"op":"thumbnail","width":64}`)
	ids := e.uploadOK(t, LocalOwner, 1)
	tests := []struct {
		name, method, path string
		body               any
		status             int
		want               string
	}{
		{"bad name", "POST", "/v1/presets", api.Preset{Name: "Web Small", Ops: thumb}, 400, "name:"},
		{"built-in name", "POST", "/v1/presets", api.Preset{Name: "web", Ops: thumb}, 400, "built-in"},
		{"no ops", "POST", "/v1/presets", api.Preset{Name: "empty"}, 400, "ops: at least one"},
		{"bad op", "POST", "/v1/presets", api.Preset{Name: "bad", Ops: rawOps(`{"op":"sparkle"}`)}, 400, `unknown op "sparkle"`},
		{"bad format", "POST", "/v1/presets", api.Preset{Name: "bad", Ops: thumb, Format: "bmp"}, 400, "format:"},
		{"unknown field", "POST", "/v1/presets", map[string]any{"name": "x", "ops": thumb, "colour": 1}, 400, "colour"},
		{"job with an unknown preset", "POST", "/v1/jobs", map[string]any{"images": ids, "preset": "nope"}, 400, `no preset "nope"`},
		{"job with preset and ops", "POST", "/v1/jobs", map[string]any{"images": ids, "preset": "web", "ops": thumb}, 400, "not both"},
		{"delete a built-in", "DELETE", "/v1/presets/web", nil, 400, "built-in"},
	}
	for _, tt := range tests {
		var body api.Error
		var st int
		if tt.method == "DELETE" {
			req, _ := http.NewRequest("DELETE", e.srv.URL+tt.path, nil)
			st = e.do(t, req, &body)
		} else {
			st = e.postJSON(t, LocalOwner, tt.path, tt.body, &body)
		}
		if st != tt.status || !strings.Contains(body.Error, tt.want) {
			t.Errorf("%s: %d %q, want %d with %q", tt.name, st, body.Error, tt.status, tt.want)
		}
	}
	// Nothing was saved or queued.
	if ps, err := e.store.Presets(t.Context(), LocalOwner); err != nil || len(ps) != 0 {
		t.Errorf("presets after refusals: %v, %v", ps, err)
	}
}
