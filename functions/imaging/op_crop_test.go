package imaging

import (
	"image"
	"image/color"
	"testing"

	"github.com/pixmill/pixmill/events/fault"
)

func TestCropPicksPixels(t *testing.T) {
	// 200×100: red, green on top; blue, yellow below. PNG, so colours are exact.
	src := encodePNG(t, quadrants(200, 100, red, green, blue, yellow))
	tests := []struct {
		name string
		op   Crop
		// want maps a point of the result to the colour it must have.
		want map[image.Point]color.RGBA
	}{
		{"top right quarter", Crop{X: 100, Y: 0, Width: 100, Height: 50}, map[image.Point]color.RGBA{
			{0, 0}: green, {99, 0}: green, {0, 49}: green, {99, 49}: green,
		}},
		{"bottom left quarter", Crop{X: 0, Y: 50, Width: 100, Height: 50}, map[image.Point]color.RGBA{
			{0, 0}: blue, {99, 49}: blue,
		}},
		{"across the centre", Crop{X: 90, Y: 40, Width: 20, Height: 20}, map[image.Point]color.RGBA{
			{0, 0}: red, {9, 9}: red, {10, 0}: green, {19, 9}: green,
			{0, 10}: blue, {9, 19}: blue, {10, 10}: yellow, {19, 19}: yellow,
		}},
		{"one pixel", Crop{X: 199, Y: 99, Width: 1, Height: 1}, map[image.Point]color.RGBA{{0, 0}: yellow}},
		{"whole picture", Crop{Width: 200, Height: 100}, map[image.Point]color.RGBA{{0, 0}: red, {199, 99}: yellow}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := tt.op
			res := process(t, src, Output{Format: "png"}, &op)
			img := decodeImage(t, res.Bytes)
			if got := img.Bounds().Size(); got != (image.Point{op.Width, op.Height}) {
				t.Fatalf("size %v, want %dx%d", got, op.Width, op.Height)
			}
			for p, want := range tt.want {
				if got := color.RGBAModel.Convert(img.At(p.X, p.Y)); got != want {
					t.Errorf("pixel %v = %v, want %v", p, got, want)
				}
			}
		})
	}
}

func TestCropOutside(t *testing.T) {
	src := encodePNG(t, quadrants(300, 200, red, green, blue, yellow))
	tests := []struct {
		op   Crop
		want string
	}{
		{Crop{Width: 500, Height: 500}, "crop: area 0,0 500x500 does not fit in the 300x200 picture"},
		{Crop{X: 250, Y: 0, Width: 51, Height: 10}, "crop: area 250,0 51x10 does not fit in the 300x200 picture"},
		{Crop{X: 0, Y: 200, Width: 1, Height: 1}, "crop: area 0,200 1x1 does not fit in the 300x200 picture"},
	}
	for _, tt := range tests {
		op := tt.op
		_, err := Process(t.Context(), src, []Op{&op}, Output{})
		if fault.KindOf(err) != fault.Permanent || fault.Message(err) != tt.want {
			t.Errorf("%+v: got %s %q, want permanent %q", op, fault.KindOf(err), fault.Message(err), tt.want)
		}
	}
}

// Crop sees the picture as the earlier ops left it: after a thumbnail to
// 100×50, the right half is the green and yellow quarters.
func TestCropAfterThumbnail(t *testing.T) {
	src := encodePNG(t, quadrants(400, 200, red, green, blue, yellow))
	res := process(t, src, Output{Format: "png"}, &Thumbnail{Width: 100, Fit: "fit"}, &Crop{X: 50, Width: 50, Height: 50})
	img := decodeImage(t, res.Bytes)
	if d := deltaE(averageColour(img, image.Rect(5, 5, 45, 20)), green); d > 5 {
		t.Errorf("top is ΔE %.1f from green", d)
	}
	if d := deltaE(averageColour(img, image.Rect(5, 30, 45, 45)), yellow); d > 5 {
		t.Errorf("bottom is ΔE %.1f from yellow", d)
	}
}

// A gravity anchors the area: each corner of a picture of four coloured
// quarters keeps its own colour, each side the two it spans.
func TestCropGravity(t *testing.T) {
	src := encodePNG(t, quadrants(200, 100, red, green, blue, yellow))
	tests := []struct {
		gravity string
		// want maps a point of the 40×20 result to the colour it must have.
		want map[image.Point]color.RGBA
	}{
		{"north-west", map[image.Point]color.RGBA{{0, 0}: red, {39, 19}: red}},
		{"north-east", map[image.Point]color.RGBA{{0, 0}: green, {39, 19}: green}},
		{"south-west", map[image.Point]color.RGBA{{0, 0}: blue, {39, 19}: blue}},
		{"south-east", map[image.Point]color.RGBA{{0, 0}: yellow, {39, 19}: yellow}},
		{"north", map[image.Point]color.RGBA{{0, 0}: red, {39, 0}: green}},
		{"south", map[image.Point]color.RGBA{{0, 19}: blue, {39, 19}: yellow}},
		{"west", map[image.Point]color.RGBA{{0, 0}: red, {0, 19}: blue}},
		{"east", map[image.Point]color.RGBA{{39, 0}: green, {39, 19}: yellow}},
		{"centre", map[image.Point]color.RGBA{{0, 0}: red, {39, 0}: green, {0, 19}: blue, {39, 19}: yellow}},
	}
	for _, tt := range tests {
		img := decodeImage(t, process(t, src, Output{Format: "png"}, &Crop{Width: 40, Height: 20, Gravity: tt.gravity}).Bytes)
		if got := img.Bounds().Size(); got != image.Pt(40, 20) {
			t.Fatalf("%s: size %v, want 40x20", tt.gravity, got)
		}
		for p, want := range tt.want {
			if got := color.RGBAModel.Convert(img.At(p.X, p.Y)); got != want {
				t.Errorf("%s: pixel %v = %v, want %v", tt.gravity, p, got, want)
			}
		}
	}
}

// smart keeps the busy, colourful part of an otherwise grey picture.
func TestCropSmart(t *testing.T) {
	pic := stripes(400, 300, rgba(120, 120, 120))
	for y := 20; y < 120; y++ {
		for x := 30; x < 130; x++ {
			if (x/8+y/8)%2 == 0 {
				pic.SetRGBA(x, y, red)
			} else {
				pic.SetRGBA(x, y, green)
			}
		}
	}
	img := decodeImage(t, process(t, encodePNG(t, pic), Output{Format: "png"}, &Crop{Width: 100, Height: 100, Gravity: "smart"}).Bytes)
	if share := colourfulShare(img); share < 0.3 {
		t.Errorf("smart crop: %.0f%% of the pixels are colourful, want much of the patch (over 30%%; a centre crop has none)", 100*share)
	}
}

func TestCropGravityTooLarge(t *testing.T) {
	src := encodePNG(t, quadrants(300, 200, red, green, blue, yellow))
	_, err := Process(t.Context(), src, []Op{&Crop{Width: 301, Height: 10, Gravity: "centre"}}, Output{})
	wantFault(t, err, fault.Permanent, "crop: a 301x10 area does not fit in the 300x200 picture")
}
