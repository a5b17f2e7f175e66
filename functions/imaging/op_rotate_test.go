package imaging

import (
	"image"
	"image/color"
	"math"
	"testing"
)

// Quarter turns move the quarters of a picture as a clockwise turn does:
// what was top left goes top right at 90°, bottom right at 180°, bottom left
// at 270° (or −90°).
func TestRotateQuarterTurns(t *testing.T) {
	src := encodePNG(t, quadrants(200, 100, red, green, blue, yellow))
	tests := []struct {
		angle          float64
		w, h           int
		tl, tr, bl, br color.RGBA
	}{
		{90, 100, 200, blue, red, yellow, green},
		{180, 200, 100, yellow, blue, green, red},
		{270, 100, 200, green, yellow, red, blue},
		{-90, 100, 200, green, yellow, red, blue},
		{-270, 100, 200, blue, red, yellow, green},
		{360, 200, 100, red, green, blue, yellow},
		{0, 200, 100, red, green, blue, yellow},
	}
	for _, tt := range tests {
		img := decodeImage(t, process(t, src, Output{Format: "png"}, &Rotate{Angle: tt.angle, Background: "#000000"}).Bytes)
		if got := img.Bounds().Size(); got != image.Pt(tt.w, tt.h) {
			t.Errorf("%v°: size %v, want %dx%d", tt.angle, got, tt.w, tt.h)
			continue
		}
		for _, c := range []struct {
			x, y int
			want color.RGBA
		}{{0, 0, tt.tl}, {tt.w - 1, 0, tt.tr}, {0, tt.h - 1, tt.bl}, {tt.w - 1, tt.h - 1, tt.br}} {
			if got := color.RGBAModel.Convert(img.At(c.x, c.y)); got != c.want {
				t.Errorf("%v°: pixel %d,%d = %v, want %v", tt.angle, c.x, c.y, got, c.want)
			}
		}
	}
}

// Other angles resample into the rectangle holding the whole turned picture
// and fill the corners with the background; the middle keeps its colour.
func TestRotateArbitrary(t *testing.T) {
	src := encodePNG(t, stripes(200, 100, rgba(40, 90, 200)))
	for _, tt := range []struct {
		angle float64
		bg    string
	}{{30, "#ff8800"}, {-30, "#ff8800"}, {45, "#fff"}, {135.5, "#000000"}} {
		res := process(t, src, Output{Format: "png"}, &Rotate{Angle: tt.angle, Background: tt.bg})
		img := decodeImage(t, res.Bytes)
		rad := tt.angle * math.Pi / 180
		wantW := 200*math.Abs(math.Cos(rad)) + 100*math.Abs(math.Sin(rad))
		wantH := 200*math.Abs(math.Sin(rad)) + 100*math.Abs(math.Cos(rad))
		b := img.Bounds()
		if math.Abs(float64(b.Dx())-wantW) > 2 || math.Abs(float64(b.Dy())-wantH) > 2 {
			t.Errorf("%v°: size %v, want about %.0fx%.0f", tt.angle, b.Size(), wantW, wantH)
		}
		bg := mustColor(tt.bg)
		want := color.RGBA{bg.r, bg.g, bg.b, 255}
		if d := deltaE00(img.At(1, 1), want); d > 1 {
			t.Errorf("%v°: corner %v, want the background %v", tt.angle, img.At(1, 1), want)
		}
		if d := deltaE00(img.At(b.Dx()/2, b.Dy()/2), rgba(40, 90, 200)); d > 1 {
			t.Errorf("%v°: middle %v, want the picture's blue", tt.angle, img.At(b.Dx()/2, b.Dy()/2))
		}
	}
}

// The turn is clockwise: a red mark right of centre goes below it at 90°
// and, at 30°, moves down by about sin 30° of its distance.
func TestRotateDirection(t *testing.T) {
	pic := stripes(201, 201, rgba(200, 200, 200))
	for y := 95; y <= 105; y++ {
		for x := 170; x <= 180; x++ {
			pic.SetRGBA(x, y, red)
		}
	}
	src := encodePNG(t, pic)
	img := decodeImage(t, process(t, src, Output{Format: "png"}, &Rotate{Angle: 30, Background: "#c8c8c8"}).Bytes)
	cx, cy := float64(img.Bounds().Dx())/2, float64(img.Bounds().Dy())/2
	// centre of the red mark
	var sx, sy, n float64
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if deltaE00(img.At(x, y), red) < 10 {
				sx, sy, n = sx+float64(x)+0.5, sy+float64(y)+0.5, n+1
			}
		}
	}
	if n == 0 {
		t.Fatal("the red mark is gone")
	}
	gotAngle := math.Atan2(sy/n-cy, sx/n-cx) * 180 / math.Pi
	if math.Abs(gotAngle-30) > 2 {
		t.Errorf("the mark is at %.1f° from the centre (clockwise, y down), want 30°", gotAngle)
	}
}

// A see-through background gives transparent corners in formats that
// keep alpha.
func TestRotateTransparentBackground(t *testing.T) {
	src := encodeJPEG(t, photo(120, 80))
	img := decodeImage(t, process(t, src, Output{Format: "png"}, &Rotate{Angle: 20, Background: "#00000000"}).Bytes)
	if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
		t.Errorf("corner alpha %d, want 0", a>>8)
	}
	b := img.Bounds()
	if _, _, _, a := img.At(b.Dx()/2, b.Dy()/2).RGBA(); a != 0xffff {
		t.Errorf("middle alpha %d, want opaque", a>>8)
	}
}

// A grey picture turned on a coloured background becomes colour.
func TestRotateGreyPicture(t *testing.T) {
	grey := image.NewGray(image.Rect(0, 0, 60, 40))
	for i := range grey.Pix {
		grey.Pix[i] = 128
	}
	img := decodeImage(t, process(t, encodePNG(t, grey), Output{Format: "png"}, &Rotate{Angle: 10, Background: "#ff0000"}).Bytes)
	if d := deltaE00(img.At(0, 0), color.RGBA{255, 0, 0, 255}); d > 1 {
		t.Errorf("corner %v, want red", img.At(0, 0))
	}
}
