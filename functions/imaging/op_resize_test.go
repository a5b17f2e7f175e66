package imaging

import (
	"image"
	"image/color"
	"testing"

	"github.com/pixmill/pixmill/events/fault"
)

func TestResizeSize(t *testing.T) {
	src := encodePNG(t, photo(400, 300))
	for _, tt := range []struct {
		op           Resize
		wantW, wantH int
	}{
		{Resize{Width: 200, Kernel: "lanczos3"}, 200, 150},
		{Resize{Height: 100, Kernel: "lanczos3"}, 133, 100},
		{Resize{Width: 1000, Kernel: "cubic"}, 1000, 750},
		{Resize{Width: 123, Height: 456, Kernel: "linear"}, 123, 456},
		{Resize{Scale: 0.5, Kernel: "lanczos3"}, 200, 150},
		{Resize{Scale: 2.5, Kernel: "nearest"}, 1000, 750},
		{Resize{Scale: 0.01, Kernel: "lanczos3"}, 4, 3},
		{Resize{Width: 399, Kernel: "lanczos3"}, 399, 299},
		{Resize{Width: 401, Kernel: "nearest"}, 401, 301},
	} {
		op := tt.op
		res := process(t, src, Output{Format: "png"}, &op)
		img := decodeImage(t, res.Bytes)
		if got := img.Bounds().Size(); got != image.Pt(tt.wantW, tt.wantH) {
			t.Errorf("%+v: %v, want %dx%d", op, got, tt.wantW, tt.wantH)
		}
	}
}

// nearest copies pixels, so hard edges stay hard; lanczos3 makes new
// in-between values along them.
func TestResizeKernel(t *testing.T) {
	src := encodePNG(t, quadrants(40, 40, red, blue, blue, red))
	count := func(kernel string) int {
		img := decodeImage(t, process(t, src, Output{Format: "png"}, &Resize{Scale: 3, Kernel: kernel}).Bytes)
		seen := map[color.RGBA]bool{}
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				seen[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)] = true
			}
		}
		return len(seen)
	}
	if n := count("nearest"); n != 2 {
		t.Errorf("nearest: %d colours, want the 2 of the original", n)
	}
	if n := count("lanczos3"); n < 5 {
		t.Errorf("lanczos3: %d colours, want in-between ones", n)
	}
}

// Colour stays where it was, and transparent edges do not darken: with
// alpha premultiplied, the black of invisible pixels does not bleed in.
func TestResizeKeepsColourAndAlpha(t *testing.T) {
	pic := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for y := range 64 {
		for x := range 64 {
			if x < 32 {
				pic.SetNRGBA(x, y, color.NRGBA{0, 0, 0, 0})
			} else {
				pic.SetNRGBA(x, y, color.NRGBA{240, 200, 40, 255})
			}
		}
	}
	img := decodeImage(t, process(t, encodePNG(t, pic), Output{Format: "png"}, &Resize{Scale: 0.37, Kernel: "lanczos3"}).Bytes)
	b := img.Bounds()
	for x := b.Min.X; x < b.Max.X; x++ {
		c := color.NRGBAModel.Convert(img.At(x, b.Dy()/2)).(color.NRGBA)
		if c.A > 64 && (c.R < 200 || c.G < 160) {
			t.Errorf("pixel %d: %v, a visible edge pixel darkened by the transparent side", x, c)
		}
	}
}

func TestResizeLimit(t *testing.T) {
	src := encodeJPEG(t, photo(2000, 1000))
	_, err := Process(t.Context(), src, []Op{&Resize{Scale: 10, Kernel: "nearest"}}, Output{Format: "png"})
	wantFault(t, err, fault.LimitExceeded, "resize: the result would be 20000x10000, over the limit of 100 megapixels")
	_, err = Process(t.Context(), encodePNG(t, photo(400, 300)), []Op{&Resize{Width: 20000, Height: 20000, Kernel: "nearest"}}, Output{Format: "png"})
	wantFault(t, err, fault.LimitExceeded, "resize: the result would be 20000x20000, over the limit of 100 megapixels")
}
