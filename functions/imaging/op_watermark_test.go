package imaging

import (
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
)

// changed returns the bounding box of the pixels that differ between a and
// b, and the largest rise in L*.
func changed(a, b image.Image) (image.Rectangle, float64) {
	var r image.Rectangle
	rise := 0.0
	bb := a.Bounds()
	for y := bb.Min.Y; y < bb.Max.Y; y++ {
		for x := bb.Min.X; x < bb.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				r = r.Union(image.Rect(x, y, x+1, y+1))
				l0, _, _ := lab(a.At(x, y))
				l1, _, _ := lab(b.At(x, y))
				rise = math.Max(rise, l1-l0)
			}
		}
	}
	return r, rise
}

func TestWatermarkText(t *testing.T) {
	src := encodePNG(t, stripes(600, 400, rgba(40, 40, 50)))
	base := decodeImage(t, src)
	margin := 12 // 3% of 400
	for _, tt := range []struct {
		gravity string
		inside  image.Rectangle // where the text must be
	}{
		{"south-east", image.Rect(300, 300, 600-margin, 400-margin)},
		{"north-west", image.Rect(margin, margin, 300, 100)},
		{"centre", image.Rect(100, 150, 500, 250)},
		{"south", image.Rect(100, 300, 500, 400-margin)},
	} {
		op := &Watermark{Text: "© pixmill", FontSize: 40, Color: "#ffffff", Opacity: 1, Gravity: tt.gravity, Scale: 0.25}
		img := decodeImage(t, process(t, src, Output{Format: "png"}, op).Bytes)
		r, rise := changed(base, img)
		if r.Empty() || !r.In(tt.inside) {
			t.Errorf("%s: text drawn over %v, want inside %v", tt.gravity, r, tt.inside)
		}
		if r.Dy() < 20 || r.Dy() > 40 || r.Dx() < 100 {
			t.Errorf("%s: text %v, want a line about 40 pixels high", tt.gravity, r.Size())
		}
		if rise < 60 {
			t.Errorf("%s: white text raised L* by at most %.0f, want it to show", tt.gravity, rise)
		}
	}
}

// Opacity scales how much the text shows; colour is the text's colour.
func TestWatermarkOpacityAndColour(t *testing.T) {
	src := encodePNG(t, stripes(400, 300, rgba(40, 40, 50)))
	base := decodeImage(t, src)
	rise := func(o float64) float64 {
		img := decodeImage(t, process(t, src, Output{Format: "png"}, &Watermark{Text: "WWW", FontSize: 60, Color: "#ffffff", Opacity: o, Gravity: "centre", Scale: 0.25}).Bytes)
		_, r := changed(base, img)
		return r
	}
	full, half := rise(1), rise(0.5)
	if half < 0.3*full || half > 0.7*full {
		t.Errorf("opacity 0.5 raised L* by %.0f, opacity 1 by %.0f; want about half", half, full)
	}
	same := process(t, src, Output{Format: "png"}, &Watermark{Text: "WWW", Color: "#ffffff", Opacity: 0, Gravity: "centre", Scale: 0.25})
	if string(same.Bytes) != string(process(t, src, Output{Format: "png"}).Bytes) {
		t.Error("opacity 0 changed the picture")
	}
	img := decodeImage(t, process(t, src, Output{Format: "png"}, &Watermark{Text: "WWW", FontSize: 80, Color: "#ff0000", Opacity: 1, Gravity: "centre", Scale: 0.25}).Bytes)
	reddest := 0.0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, a, _ := lab(img.At(x, y)); a > reddest {
				reddest = a
			}
		}
	}
	if reddest < 70 {
		t.Errorf("red text: highest a* %.0f, want pure red (80) in the letters", reddest)
	}
}

// Left out, the size follows the picture; a line too long for the picture
// is made smaller to fit; Pango markup is shown, not obeyed.
func TestWatermarkTextSizing(t *testing.T) {
	src := encodePNG(t, stripes(800, 400, rgba(40, 40, 50)))
	base := decodeImage(t, src)
	img := decodeImage(t, process(t, src, Output{Format: "png"}, &Watermark{Text: "Mg", Color: "#ffffff", Opacity: 1, Gravity: "centre", Scale: 0.25}).Bytes)
	if r, _ := changed(base, img); r.Dy() < 10 || r.Dy() > 20 {
		t.Errorf("default size: text %v high, want about 5%% of 400 = 20", r.Dy())
	}
	long := "a line far too long for the picture at this size, and then some more words"
	img = decodeImage(t, process(t, src, Output{Format: "png"}, &Watermark{Text: long, FontSize: 100, Color: "#ffffff", Opacity: 1, Gravity: "centre", Scale: 0.25}).Bytes)
	if r, _ := changed(base, img); r.Empty() || !r.In(image.Rect(0, 0, 800, 400).Inset(12)) {
		t.Errorf("long text drawn over %v, want it inside the margins", r)
	}
	img = decodeImage(t, process(t, src, Output{Format: "png"}, &Watermark{Text: "<b>a & b</b> <span", FontSize: 40, Color: "#ffffff", Opacity: 1, Gravity: "centre", Scale: 0.25}).Bytes)
	if r, _ := changed(base, img); r.Dx() < 200 {
		t.Errorf("markup text %v wide, want the tags written out", r.Size())
	}
}

// logo draws a w×h red disc on a transparent background.
func logo(t testing.TB, w, h int) []byte {
	pic := image.NewNRGBA(image.Rect(0, 0, w, h))
	d := disc{float64(w) / 2, float64(h) / 2, float64(min(w, h)) / 2}
	for y := range h {
		for x := range w {
			if d.has(float64(x)+0.5, float64(y)+0.5) {
				pic.SetNRGBA(x, y, color.NRGBA{220, 20, 30, 255})
			}
		}
	}
	return encodePNG(t, pic)
}

func TestWatermarkImage(t *testing.T) {
	src := encodePNG(t, stripes(800, 400, rgba(200, 200, 200)))
	base := decodeImage(t, src)
	id := events.NewID()
	op := &Watermark{Image: id, Scale: 0.25, Color: "#ffffff", Opacity: 1, Gravity: "north-east"}
	if got := op.Needs(); len(got) != 1 || got[0] != id {
		t.Fatalf("Needs() = %v, want [%s]", got, id)
	}
	if err := op.Provide(id, logo(t, 300, 300)); err != nil {
		t.Fatal(err)
	}
	img := decodeImage(t, process(t, src, Output{Format: "png"}, op).Bytes)
	r, _ := changed(base, img)
	// 25% of 800 wide, square, 12 pixels in from the top right corner.
	if want := image.Rect(800-12-200, 12, 800-12, 12+200); r.Min.X < want.Min.X-1 || r.Max.X > want.Max.X+1 || r.Min.Y < want.Min.Y-1 || r.Max.Y > want.Max.Y+1 || r.Dx() < 190 {
		t.Errorf("logo drawn over %v, want %v", r, want)
	}
	if d := deltaE00(img.At(800-12-100, 112), rgba(220, 20, 30)); d > 2 {
		t.Errorf("logo centre %v, want its red", img.At(800-12-100, 112))
	}
	// the logo's transparent corners leave the picture as it was
	if img.At(800-12-199, 13) != base.At(800-12-199, 13) {
		t.Errorf("the logo's transparent corner changed the picture")
	}

	half := &Watermark{Image: id, Scale: 0.25, Color: "#ffffff", Opacity: 0.5, Gravity: "north-east"}
	if err := half.Provide(id, logo(t, 300, 300)); err != nil {
		t.Fatal(err)
	}
	img = decodeImage(t, process(t, src, Output{Format: "png"}, half).Bytes)
	want := color.RGBA{210, 110, 115, 255} // half way from grey 200 to the red
	if d := deltaE00(img.At(800-12-100, 112), want); d > 3 {
		t.Errorf("logo at opacity 0.5: %v, want about %v", img.At(800-12-100, 112), want)
	}
}

// A tall logo is made smaller to fit the picture's height.
func TestWatermarkImageFitsHeight(t *testing.T) {
	src := encodePNG(t, stripes(800, 200, rgba(200, 200, 200)))
	id := events.NewID()
	op := &Watermark{Image: id, Scale: 0.5, Color: "#ffffff", Opacity: 1, Gravity: "centre"}
	if err := op.Provide(id, logo(t, 100, 400)); err != nil {
		t.Fatal(err)
	}
	r, _ := changed(decodeImage(t, src), decodeImage(t, process(t, src, Output{Format: "png"}, op).Bytes))
	if r.Dy() > 200-2*6 || r.Empty() {
		t.Errorf("logo %v, want it within the picture's height less the margins", r)
	}
}

func TestWatermarkNeeds(t *testing.T) {
	src := encodePNG(t, photo(64, 64))
	id := events.NewID()
	op := &Watermark{Image: id, Scale: 0.25, Color: "#ffffff", Opacity: 0.5, Gravity: "centre"}
	_, err := Process(t.Context(), src, []Op{op}, Output{})
	wantFault(t, err, fault.InvalidArgument, "watermark: the picture "+id+" it needs was not provided")

	err = op.Provide(events.NewID(), logo(t, 10, 10))
	wantFault(t, err, fault.InvalidArgument, "watermark: image ")

	err = op.Provide(id, []byte("not a picture"))
	wantFault(t, err, fault.Permanent, "watermark: the image "+id+": the file is not a readable image")

	if got := (&Watermark{Text: "x"}).Needs(); got != nil {
		t.Errorf("a text watermark needs %v, want nothing", got)
	}
	var _ Needer = op
}
