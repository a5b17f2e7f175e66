package faces

import (
	"bytes"
	"embed"
	"encoding/gob"
	"fmt"
	"sync"
)

// cascade is a boosted cascade of Haar-like features, as OpenCV trains
// them (Viola and Jones, with Lienhart's trees): a window is a face (or an
// eye) when it passes every stage, and passes a stage when the sum of its
// trees' votes reaches the stage's threshold. Each tree compares one
// feature per node with a threshold; a feature is the weighted sum of the
// pixels of two or three rectangles of the window, divided by the window's
// contrast so that lighting does not matter.
//
// The fields are exported for encoding/gob only; the type is not.
type cascade struct {
	Width, Height int // the window the cascade was trained on, in pixels
	Stages        []stage
	Features      []feature
}

type stage struct {
	Threshold float32
	Trees     []tree
}

// tree is a small decision tree: node 0 is the root; a child index above 0
// is another node, one of 0 or below is leaf −index.
type tree struct {
	Nodes  []node
	Leaves []float32
}

type node struct {
	Left, Right int16
	Feature     uint16
	Threshold   float32
}

type feature struct {
	Rects []rect
}

// rect is a rectangle of the window and its weight in the feature.
type rect struct {
	X, Y, W, H uint8
	Weight     float32
}

// The cascades, converted from Debian's opencv-data by
// TestGenerateCascades; cascades/LICENSE holds their licence.
//
//go:embed cascades/*.gob
var cascadeFiles embed.FS

var (
	loadOnce sync.Once
	loaded   map[string]*cascade
	loadErr  error
)

// Names of the embedded cascades.
const (
	frontalFace = "haarcascade_frontalface_alt2"
	eye         = "haarcascade_eye"
)

// load returns an embedded cascade, decoding them all the first time.
func load(name string) (*cascade, error) {
	loadOnce.Do(func() {
		loaded = map[string]*cascade{}
		for _, n := range []string{frontalFace, eye} {
			b, err := cascadeFiles.ReadFile("cascades/" + n + ".gob")
			if err != nil {
				loadErr = err
				return
			}
			c := &cascade{}
			if err := gob.NewDecoder(bytes.NewReader(b)).Decode(c); err != nil {
				loadErr = fmt.Errorf("faces: decoding %s: %w", n, err)
				return
			}
			if err := c.check(); err != nil {
				loadErr = fmt.Errorf("faces: %s: %w", n, err)
				return
			}
			loaded[n] = c
		}
	})
	return loaded[name], loadErr
}

// check makes sure every index and rectangle is in range, so that
// evaluation needs no bounds checks of its own.
func (c *cascade) check() error {
	if c.Width < 4 || c.Height < 4 || len(c.Stages) == 0 {
		return fmt.Errorf("window %dx%d with %d stages", c.Width, c.Height, len(c.Stages))
	}
	for _, f := range c.Features {
		if len(f.Rects) == 0 || len(f.Rects) > 3 {
			return fmt.Errorf("a feature of %d rectangles, want 1 to 3", len(f.Rects))
		}
		for _, r := range f.Rects {
			if int(r.X)+int(r.W) > c.Width || int(r.Y)+int(r.H) > c.Height {
				return fmt.Errorf("rectangle %d,%d %dx%d outside the window", r.X, r.Y, r.W, r.H)
			}
		}
	}
	for _, s := range c.Stages {
		for _, t := range s.Trees {
			for i, n := range t.Nodes {
				if int(n.Feature) >= len(c.Features) {
					return fmt.Errorf("feature %d of %d", n.Feature, len(c.Features))
				}
				for _, k := range []int16{n.Left, n.Right} {
					// Children come after their parent, so evaluation ends.
					if k > 0 && (int(k) <= i || int(k) >= len(t.Nodes)) || k <= 0 && int(-k) >= len(t.Leaves) {
						return fmt.Errorf("child %d of a tree with %d nodes and %d leaves", k, len(t.Nodes), len(t.Leaves))
					}
				}
			}
		}
	}
	return nil
}
