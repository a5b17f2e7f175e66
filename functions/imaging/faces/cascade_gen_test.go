package faces

import (
	"bytes"
	"encoding/gob"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// envOpenCVData names the directory holding OpenCV's haarcascades, as
// Debian's opencv-data installs them (/usr/share/opencv4/haarcascades) or
// as `apt-get download opencv-data && dpkg -x` unpacks them.
const envOpenCVData = "PIXMILL_OPENCV_CASCADES"

// TestGenerateCascades converts the cascades faces uses from OpenCV's XML
// into cascades/*.gob, when PIXMILL_OPENCV_CASCADES is set and
// PIXMILL_GENERATE=1; with only the first, it checks that the embedded
// files are what the XML says. Without either it is skipped: the embedded
// files are what the package runs on.
func TestGenerateCascades(t *testing.T) {
	dir := os.Getenv(envOpenCVData)
	if dir == "" {
		t.Skipf("%s is not set; set it to opencv-data's haarcascades directory", envOpenCVData)
	}
	for _, name := range []string{frontalFace, eye} {
		b, err := os.ReadFile(filepath.Join(dir, name+".xml"))
		if err != nil {
			t.Fatal(err)
		}
		c, err := parseCascadeXML(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := c.check(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var out bytes.Buffer
		if err := gob.NewEncoder(&out).Encode(c); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("cascades", name+".gob")
		if os.Getenv("PIXMILL_GENERATE") == "1" {
			if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d stages, %d features, %d bytes", path, len(c.Stages), len(c.Features), out.Len())
			continue
		}
		emb, err := load(name)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(emb, c) {
			t.Errorf("%s differs from %s; regenerate with PIXMILL_GENERATE=1", path, name+".xml")
		}
	}
}

// The parts of OpenCV's cascade XML (the format its traincascade writes)
// that a Haar cascade of stumps or trees uses.
type xmlCascade struct {
	StageType   string       `xml:"cascade>stageType"`
	FeatureType string       `xml:"cascade>featureType"`
	Width       int          `xml:"cascade>width"`
	Height      int          `xml:"cascade>height"`
	Stages      []xmlStage   `xml:"cascade>stages>_"`
	Features    []xmlFeature `xml:"cascade>features>_"`
}

type xmlStage struct {
	Threshold float64 `xml:"stageThreshold"`
	Weak      []struct {
		Nodes  string `xml:"internalNodes"`
		Leaves string `xml:"leafValues"`
	} `xml:"weakClassifiers>_"`
}

type xmlFeature struct {
	Rects  []string `xml:"rects>_"`
	Tilted int      `xml:"tilted"`
}

func parseCascadeXML(b []byte) (*cascade, error) {
	var x xmlCascade
	if err := xml.Unmarshal(b, &x); err != nil {
		return nil, err
	}
	if x.StageType != "BOOST" || x.FeatureType != "HAAR" {
		return nil, fmt.Errorf("a %s cascade of %s features; only BOOST of HAAR is read", x.StageType, x.FeatureType)
	}
	c := &cascade{Width: x.Width, Height: x.Height}
	for _, s := range x.Stages {
		st := stage{Threshold: float32(s.Threshold)}
		for _, w := range s.Weak {
			nodes, leaves := strings.Fields(w.Nodes), strings.Fields(w.Leaves)
			if len(nodes)%4 != 0 {
				return nil, fmt.Errorf("internalNodes %q: not groups of four", w.Nodes)
			}
			var tr tree
			for i := 0; i < len(nodes); i += 4 {
				l, err1 := strconv.Atoi(nodes[i])
				r, err2 := strconv.Atoi(nodes[i+1])
				f, err3 := strconv.Atoi(nodes[i+2])
				th, err4 := strconv.ParseFloat(nodes[i+3], 64)
				if err := errors.Join(err1, err2, err3, err4); err != nil {
					return nil, fmt.Errorf("internalNodes %q: %w", w.Nodes, err)
				}
				tr.Nodes = append(tr.Nodes, node{Left: int16(l), Right: int16(r), Feature: uint16(f), Threshold: float32(th)})
			}
			for _, v := range leaves {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					return nil, fmt.Errorf("leafValues %q: %w", w.Leaves, err)
				}
				tr.Leaves = append(tr.Leaves, float32(f))
			}
			st.Trees = append(st.Trees, tr)
		}
		c.Stages = append(c.Stages, st)
	}
	for _, f := range x.Features {
		if f.Tilted != 0 {
			return nil, fmt.Errorf("tilted features are not read")
		}
		var ft feature
		for _, r := range f.Rects {
			v := strings.Fields(r)
			if len(v) != 5 {
				return nil, fmt.Errorf("rect %q: want x y w h weight", r)
			}
			var n [4]int
			for i := range n {
				k, err := strconv.Atoi(v[i])
				if err != nil || k < 0 || k > 255 {
					return nil, fmt.Errorf("rect %q: %q is not 0 to 255", r, v[i])
				}
				n[i] = k
			}
			w, err := strconv.ParseFloat(v[4], 64)
			if err != nil {
				return nil, fmt.Errorf("rect %q: %w", r, err)
			}
			ft.Rects = append(ft.Rects, rect{X: uint8(n[0]), Y: uint8(n[1]), W: uint8(n[2]), H: uint8(n[3]), Weight: float32(w)})
		}
		c.Features = append(c.Features, ft)
	}
	return c, nil
}
