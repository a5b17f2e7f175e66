package faces

import (
	"image"
	"image/color"
	_ "image/jpeg"
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// readGrey reads a picture from the directory an environment variable
// names, as grey: on CI it must be there; elsewhere the test is skipped
// without it.
func readGrey(t testing.TB, env, name string) *image.Gray {
	t.Helper()
	dir := os.Getenv(env)
	if dir == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set; CI must fetch the pictures (make photos)", env)
		}
		t.Skipf("%s is not set; make photos fetches the pictures", env)
	}
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			g.SetGray(x, y, color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray))
		}
	}
	return g
}

// The oracle: scikit-image's own tests expect one face on the astronaut,
// and Grace Hopper's portrait (matplotlib's sample data, which scripts/fetch-portraits.sh puts beside it) has one. Each face
// must be found once, where it is, with the eyes the eye cascade finds in
// its upper part.
func TestFacesPortraits(t *testing.T) {
	for _, c := range []struct {
		env, name string
		face      image.Rectangle // drawn by hand around the face, brows to chin
	}{
		{"PIXMILL_SKIMAGE", "astronaut.png", image.Rect(178, 70, 270, 165)},
		{"PIXMILL_SKIMAGE", "grace_hopper.jpg", image.Rect(160, 110, 370, 330)},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := readGrey(t, c.env, c.name)
			fs, err := Faces(g, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != 1 {
				t.Fatalf("found %d faces %v, want 1", len(fs), fs)
			}
			f := fs[0]
			if iou := overlap(f.Rectangle, c.face); iou < 0.6 {
				t.Errorf("face found at %v, want about %v (overlap %.2f, want at least 0.6)", f.Rectangle, c.face, iou)
			}
			top := image.Rect(f.Min.X, f.Min.Y, f.Max.X, f.Min.Y+f.Dy()*6/10)
			es, err := Eyes(g.SubImage(top).(*image.Gray), 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(es) == 0 {
				t.Errorf("no eyes found in the face's upper part %v", top)
			}
			for _, e := range es {
				if !e.In(top) {
					t.Errorf("eye %v outside the face's upper part %v", e.Rectangle, top)
				}
			}
			t.Logf("face %v (%d votes), eyes %v", f.Rectangle, f.Votes, es)
		})
	}
}

// overlap is the area of a ∩ b over the area of a ∪ b.
func overlap(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	i := float64(in.Dx() * in.Dy())
	return i / (float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - i)
}

// Pictures with no face in them: flat, a gradient, fine stripes.
func TestFacesNone(t *testing.T) {
	for _, c := range []struct {
		name string
		at   func(x, y int) uint8
	}{
		{"flat", func(x, y int) uint8 { return 128 }},
		{"gradient", func(x, y int) uint8 { return uint8(x / 2) }},
		{"stripes", func(x, y int) uint8 { return uint8(128 + 100*math.Sin(float64(x)/3)) }},
	} {
		g := image.NewGray(image.Rect(0, 0, 400, 300))
		for y := range 300 {
			for x := range 400 {
				g.Pix[y*g.Stride+x] = c.at(x, y)
			}
		}
		fs, err := Faces(g, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != 0 {
			t.Errorf("%s: found faces %v, want none", c.name, fs)
		}
	}
}

// Windows found around the same place at similar sizes are one detection;
// a group with too few is none; a detection inside a larger, surer one
// goes.
func TestGroup(t *testing.T) {
	r := func(x, y, s int) image.Rectangle { return image.Rect(x, y, x+s, y+s) }
	for _, c := range []struct {
		name string
		hits []image.Rectangle
		want []Detection
	}{
		{"none", nil, nil},
		{"one group", []image.Rectangle{r(100, 100, 50), r(102, 98, 52), r(98, 101, 49)},
			[]Detection{{r(100, 100, 50), 3}}},
		{"too few", []image.Rectangle{r(100, 100, 50), r(102, 98, 52)}, nil},
		{"two faces", []image.Rectangle{r(0, 0, 40), r(1, 1, 40), r(0, 1, 40), r(200, 0, 40), r(201, 0, 40), r(200, 2, 40)},
			[]Detection{{r(0, 1, 40), 3}, {r(200, 1, 40), 3}}},
		{"inside a surer one", []image.Rectangle{r(0, 0, 100), r(1, 1, 100), r(0, 1, 100), r(2, 0, 100), r(30, 30, 20), r(31, 30, 20), r(30, 31, 20)},
			[]Detection{{r(1, 1, 100), 4}}},
	} {
		got := group(c.hits, 3)
		if len(got) != len(c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: detection %d is %v, want %v", c.name, i, got[i], c.want[i])
			}
		}
	}
}

// Keep narrows a search without changing what it finds where it looks:
// keeping every window finds what a plain search finds, keeping none finds
// nothing, and keeping only windows over the face still finds it, with the
// same votes.
func TestSearchKeep(t *testing.T) {
	g := readGrey(t, "PIXMILL_SKIMAGE", "astronaut.png")
	all, err := Faces(g, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 {
		t.Fatalf("found %d faces %v, want 1", len(all), all)
	}
	face := all[0]
	near := face.Inset(-face.Dx() / 2)
	for _, c := range []struct {
		name string
		keep func(image.Rectangle) bool
		want []Detection
	}{
		{"every window", func(image.Rectangle) bool { return true }, all},
		{"no window", func(image.Rectangle) bool { return false }, nil},
		{"windows near the face", func(r image.Rectangle) bool { return r.In(near) }, all},
	} {
		var tried int
		got, err := Search{Keep: func(r image.Rectangle) bool { tried++; return c.keep(r) }}.Faces(g)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: found %v, want %v", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: found %v, want %v", c.name, got[i], c.want[i])
			}
		}
		t.Logf("%s: %d windows asked about, found %v", c.name, tried, got)
	}
}
