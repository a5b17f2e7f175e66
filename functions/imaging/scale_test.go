package imaging

import (
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
)

// The ops whose look depends on a size (blur, sharpen, a text watermark,
// a smart crop) must give the same photograph the same edit at any
// resolution. Each edit is made on a photograph 1600 pixels wide and on
// the same photograph shrunk to 640, and its effect is measured at 640
// (the large result shrunk like the picture): the mean ΔE00 between the
// picture and its edit, or where a smart crop lands. The sizes are those
// of a blur or sharpening that shows: under about a pixel and a half at
// 1×, what a blur or a sharpening does is set by the pixels themselves
// (libvips' mask is then a few whole pixels wide), and at 1× and 4× they
// differ by a third.

// scalePhotos returns a real photograph at 4× (2560 pixels wide, as it
// comes) and 1× (640), both PNG: mate-backgrounds' Garden.jpg, which has fine leaves
// and flat lawn.
func scalePhotos(t *testing.T) (big, small []byte) {
	t.Helper()
	dir := os.Getenv("PIXMILL_PHOTOS")
	if dir == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("PIXMILL_PHOTOS is not set; CI must fetch the photographs (make photos)")
		}
		t.Skip("PIXMILL_PHOTOS is not set; make photos fetches the photographs")
	}
	src, err := os.ReadFile(filepath.Join(dir, "Garden.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	big = process(t, src, Output{Format: "png", Strip: true}).Bytes
	small = process(t, big, Output{Format: "png"}, &Thumbnail{Width: 640, Fit: "fit"}).Bytes
	return big, small
}

func TestScaleFreeEffects(t *testing.T) {
	big, small := scalePhotos(t)
	shrink := &Thumbnail{Width: 640, Fit: "fit"}
	for _, c := range []struct {
		name string
		op   Op
	}{
		{"blur size 0.005", &Blur{Size: 0.005}},
		{"blur size 0.01", &Blur{Size: 0.01}},
		{"sharpen size 0.004", &Sharpen{Size: 0.004, Amount: 2}},
		{"sharpen size 0.006", &Sharpen{Size: 0.006, Amount: 2}},
		{"watermark text (default size)", &Watermark{Text: "© pixmill", Color: "#ffffff", Opacity: 0.8, Gravity: "south-east", Scale: 0.25}},
	} {
		at1 := pictureDeltaE00(t, decodeImage(t, small), decodeImage(t, process(t, small, Output{Format: "png"}, c.op).Bytes))
		at4 := pictureDeltaE00(t, decodeImage(t, small), decodeImage(t, process(t, big, Output{Format: "png"}, c.op, shrink).Bytes))
		t.Logf("%s: mean ΔE00 %.3f at 1×, %.3f at 4× (measured at 1×)", c.name, at1, at4)
		if at1 < 0.1 {
			t.Errorf("%s: mean ΔE00 %.3f at 1×: the edit shows too little to compare", c.name, at1)
		}
		if math.Abs(at4-at1) > 0.1*at1 {
			t.Errorf("%s: mean ΔE00 %.3f at 4× and %.3f at 1×, want within 10%%", c.name, at4, at1)
		}
	}
}

// A smart crop of the same share of the picture lands in the same place
// at 1× and 4×: within 3 % of the picture's width and height.
func TestScaleFreeSmartCrop(t *testing.T) {
	big, small := scalePhotos(t)
	pic := greyOf(t, small)
	w, h := pic.Rect.Dx(), pic.Rect.Dy()
	at1 := greyOf(t, process(t, small, Output{Format: "png"}, &Crop{Width: w / 2, Height: h / 2, Gravity: "smart"}).Bytes)
	at4 := greyOf(t, process(t, big, Output{Format: "png"}, &Crop{Width: 4 * (w / 2), Height: 4 * (h / 2), Gravity: "smart"}, &Thumbnail{Width: w / 2, Height: h / 2, Fit: "fill"}).Bytes)
	p1, p4 := locate(pic, at1), locate(pic, at4)
	t.Logf("smart crop at %v at 1×, %v at 4× (in the 1× picture, %dx%d)", p1, p4, w, h)
	if d := p1.Sub(p4); math.Abs(float64(d.X)) > 0.03*float64(w) || math.Abs(float64(d.Y)) > 0.03*float64(h) {
		t.Errorf("smart crop at %v at 1× and %v at 4×, want within 3%% of %dx%d", p1, p4, w, h)
	}
}

// pictureDeltaE00 is the mean ΔE00 between two pictures of the same size.
func pictureDeltaE00(t *testing.T, a, b image.Image) float64 {
	t.Helper()
	if a.Bounds().Size() != b.Bounds().Size() {
		t.Fatalf("sizes %v and %v differ", a.Bounds().Size(), b.Bounds().Size())
	}
	sum, n := 0.0, 0
	ab, bb := a.Bounds(), b.Bounds()
	for y := range ab.Dy() {
		for x := range ab.Dx() {
			sum += deltaE00(a.At(ab.Min.X+x, ab.Min.Y+y), b.At(bb.Min.X+x, bb.Min.Y+y))
			n++
		}
	}
	return sum / float64(n)
}

// greyOf decodes a picture with libvips as 8-bit grey.
func greyOf(t *testing.T, b []byte) *image.Gray {
	t.Helper()
	img := loadSRGB8(t, b)
	defer img.Close()
	if err := img.ToColorSpace(vips.InterpretationBW); err != nil {
		t.Fatal(err)
	}
	if err := img.ExtractBand(0, 1); err != nil {
		t.Fatal(err)
	}
	pix, err := img.ToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return &image.Gray{Pix: pix, Stride: img.Width(), Rect: image.Rect(0, 0, img.Width(), img.Height())}
}

// locate finds where part lies in pic: the top-left corner, on a grid of
// two pixels, with the least sum of grey differences over every other
// pixel.
func locate(pic, part *image.Gray) image.Point {
	best, bestD := image.Point{}, math.MaxInt
	for oy := 0; oy+part.Rect.Dy() <= pic.Rect.Dy(); oy += 2 {
		for ox := 0; ox+part.Rect.Dx() <= pic.Rect.Dx(); ox += 2 {
			d := 0
			for y := 0; y < part.Rect.Dy() && d < bestD; y += 2 {
				for x := 0; x < part.Rect.Dx(); x += 2 {
					v := int(pic.Pix[(oy+y)*pic.Stride+ox+x]) - int(part.Pix[y*part.Stride+x])
					d += max(v, -v)
				}
			}
			if d < bestD {
				best, bestD = image.Pt(ox, oy), d
			}
		}
	}
	return best
}
