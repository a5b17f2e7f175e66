package imaging

import (
	"image"
	"image/color"
	"testing"
)

func TestThumbnailSize(t *testing.T) {
	tests := []struct {
		name         string
		srcW, srcH   int
		op           Thumbnail
		wantW, wantH int
	}{
		{"landscape fit", 400, 300, Thumbnail{Width: 200, Height: 200, Fit: "fit"}, 200, 150},
		{"portrait fit", 300, 400, Thumbnail{Width: 200, Height: 200, Fit: "fit"}, 150, 200},
		{"width only", 400, 300, Thumbnail{Width: 100, Fit: "fit"}, 100, 75},
		{"height only", 400, 300, Thumbnail{Height: 150, Fit: "fit"}, 200, 150},
		{"landscape fill", 400, 300, Thumbnail{Width: 200, Height: 200, Fit: "fill"}, 200, 200},
		{"portrait fill to landscape box", 300, 400, Thumbnail{Width: 120, Height: 60, Fit: "fill"}, 120, 60},
		{"no upscale fit", 100, 80, Thumbnail{Width: 500, Height: 500, Fit: "fit"}, 100, 80},
		{"no upscale width only", 100, 80, Thumbnail{Width: 500, Fit: "fit"}, 100, 80},
		{"no upscale fill", 100, 80, Thumbnail{Width: 500, Height: 500, Fit: "fill"}, 100, 80},
		// Covering 50×500 would mean enlarging; only the overflowing width is cut.
		{"no upscale fill cuts overflow", 100, 80, Thumbnail{Width: 50, Height: 500, Fit: "fill"}, 50, 80},
	}
	for _, tt := range tests {
		src := encodeJPEG(t, photo(tt.srcW, tt.srcH))
		t.Run(tt.name, func(t *testing.T) {
			op := tt.op
			// Thumbnail first is decoded shrunk; after another op it is
			// the thumbnail-image operation. Both must agree.
			paths := map[string][]Op{
				"on load":  {&op},
				"on image": {&Crop{Width: tt.srcW, Height: tt.srcH}, &op},
			}
			for path, ops := range paths {
				res := process(t, src, Output{Format: "png"}, ops...)
				img := decodeImage(t, res.Bytes)
				got := img.Bounds().Size()
				if got != (image.Point{tt.wantW, tt.wantH}) || res.Width != tt.wantW || res.Height != tt.wantH {
					t.Errorf("%s: got %v (Result %dx%d), want %dx%d", path, got, res.Width, res.Height, tt.wantW, tt.wantH)
				}
			}
		})
	}
}

// fill must cut equally from both sides: of red|green|blue stripes, a square
// keeps the green middle.
func TestThumbnailFillCropsCentre(t *testing.T) {
	src := encodePNG(t, stripes(300, 100, red, green, blue))
	for _, first := range []bool{true, false} {
		ops := []Op{&Thumbnail{Width: 60, Height: 60, Fit: "fill"}}
		if !first {
			ops = append([]Op{&Crop{Width: 300, Height: 100}}, ops...)
		}
		res := process(t, src, Output{Format: "png"}, ops...)
		img := decodeImage(t, res.Bytes)
		for _, x := range []int{2, 30, 57} {
			if d := deltaE(img.At(x, 30), green); d > 10 {
				t.Errorf("first=%v: pixel %d,30 is %v, ΔE %.1f from green", first, x, img.At(x, 30), d)
			}
		}
	}
}

// fit keeps everything: the three stripes are all still there, in order.
func TestThumbnailFitKeepsAll(t *testing.T) {
	src := encodePNG(t, stripes(300, 100, red, green, blue))
	res := process(t, src, Output{Format: "png"}, &Thumbnail{Width: 60, Height: 60, Fit: "fit"})
	img := decodeImage(t, res.Bytes)
	if b := img.Bounds(); b.Dx() != 60 || b.Dy() != 20 {
		t.Fatalf("size %v, want 60x20", b.Size())
	}
	for _, p := range []struct {
		x    int
		want color.RGBA
	}{{3, red}, {30, green}, {56, blue}} {
		if d := deltaE(img.At(p.x, 10), p.want); d > 10 {
			t.Errorf("pixel %d,10 is %v, ΔE %.1f from %v", p.x, img.At(p.x, 10), d, p.want)
		}
	}
}

// upscale enlarges what is smaller than the box, on load and on the image.
func TestThumbnailUpscale(t *testing.T) {
	src := encodeJPEG(t, photo(100, 80))
	for _, tt := range []struct {
		op           Thumbnail
		wantW, wantH int
	}{
		{Thumbnail{Width: 200, Height: 200, Fit: "fit", Upscale: true}, 200, 160},
		{Thumbnail{Width: 300, Fit: "fit", Upscale: true}, 300, 240},
		{Thumbnail{Width: 150, Height: 150, Fit: "fill", Upscale: true}, 150, 150},
		{Thumbnail{Width: 150, Height: 150, Fit: "smart", Upscale: true}, 150, 150},
		{Thumbnail{Width: 200, Height: 200, Fit: "fit"}, 100, 80},
	} {
		for path, ops := range map[string][]Op{"on load": {&tt.op}, "on image": {&Crop{Width: 100, Height: 80}, &tt.op}} {
			res := process(t, src, Output{Format: "png"}, ops...)
			if res.Width != tt.wantW || res.Height != tt.wantH {
				t.Errorf("%+v %s: %dx%d, want %dx%d", tt.op, path, res.Width, res.Height, tt.wantW, tt.wantH)
			}
		}
	}
}

// smart keeps the interesting part: of a flat grey field with a busy,
// colourful patch on its right, the square it keeps is the patch.
func TestThumbnailSmartKeepsSubject(t *testing.T) {
	pic := stripes(600, 200, rgba(128, 128, 128))
	for y := 40; y < 160; y++ {
		for x := 440; x < 580; x++ {
			c := red
			if (x/10+y/10)%2 == 0 {
				c = yellow
			}
			pic.SetRGBA(x, y, c)
		}
	}
	src := encodePNG(t, pic)
	for _, first := range []bool{true, false} {
		ops := []Op{&Thumbnail{Width: 100, Height: 100, Fit: "smart"}}
		if !first {
			ops = append([]Op{&Crop{Width: 600, Height: 200}}, ops...)
		}
		img := decodeImage(t, process(t, src, Output{Format: "png"}, ops...).Bytes)
		if share := colourfulShare(img); share < 0.3 {
			t.Errorf("first=%v: %.0f%% of the square is colourful, want much of the patch (over 30%%)", first, 100*share)
		}
		fill := decodeImage(t, process(t, src, Output{Format: "png"}, &Thumbnail{Width: 100, Height: 100, Fit: "fill"}).Bytes)
		if share := colourfulShare(fill); share > 0 {
			t.Errorf("fill keeps the centre, which is grey; %.0f%% of it is colourful", 100*share)
		}
	}
}
