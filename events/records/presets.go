package records

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/pixmill/pixmill/events/fault"
)

// Preset is a named recipe an owner saved: the edits and output settings of
// a job, without its pictures.
type Preset struct {
	Name     string            `json:"name"`
	Owner    string            `json:"owner"`
	Ops      []json.RawMessage `json:"ops"`
	Format   string            `json:"format,omitempty"`
	Quality  int               `json:"quality,omitempty"`
	Metadata string            `json:"metadata,omitempty"`
	Created  time.Time         `json:"created"`
}

// presetsPrefix holds an owner's presets, one record a name, so that
// erasing an owner's presets is one prefix.
func presetsPrefix(owner string) string { return "records/presets/" + url.PathEscape(owner) + "/" }

func presetKey(owner, name string) string { return presetsPrefix(owner) + name + ".json" }

// PutPreset stores p, replacing a preset of the same owner and name.
func (s *Store) PutPreset(ctx context.Context, p Preset) error {
	return s.put(ctx, presetKey(p.Owner, p.Name), p)
}

// Preset reads owner's preset name (fault.NotFound when there is none).
func (s *Store) Preset(ctx context.Context, owner, name string) (Preset, error) {
	var p Preset
	err := s.get(ctx, presetKey(owner, name), &p)
	return p, err
}

// Presets lists owner's presets by name.
func (s *Store) Presets(ctx context.Context, owner string) ([]Preset, error) {
	objs, err := s.list(ctx, presetsPrefix(owner))
	if err != nil {
		return nil, err
	}
	ps := make([]Preset, 0, len(objs))
	for _, o := range objs {
		var p Preset
		if err := s.get(ctx, o.Key, &p); err != nil {
			if fault.KindOf(err) == fault.NotFound {
				continue // deleted since the listing
			}
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// PresetNames lists the names of owner's presets, reading no record.
func (s *Store) PresetNames(ctx context.Context, owner string) ([]string, error) {
	objs, err := s.list(ctx, presetsPrefix(owner))
	if err != nil {
		return nil, err
	}
	names := make([]string, len(objs))
	for i, o := range objs {
		names[i] = strings.TrimSuffix(strings.TrimPrefix(o.Key, presetsPrefix(owner)), ".json")
	}
	return names, nil
}

// DeletePreset removes owner's preset name; removing one that is not there
// is no error.
func (s *Store) DeletePreset(ctx context.Context, owner, name string) error {
	return s.remove(ctx, presetKey(owner, name))
}
