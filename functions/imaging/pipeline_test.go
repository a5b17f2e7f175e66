package imaging

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"testing"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/functions/imaging/exiftest"
)

func TestThumbnailThenBrightness(t *testing.T) {
	src := encodeJPEG(t, photo(1200, 800))
	thumb := process(t, src, Output{Format: "png"}, &Thumbnail{Width: 300, Height: 300, Fit: "fit"})
	both := process(t, src, Output{Format: "png"}, &Thumbnail{Width: 300, Height: 300, Fit: "fit"}, &Brightness{Factor: 1.2})
	if both.Width != 300 || both.Height != 200 {
		t.Fatalf("size %dx%d, want 300x200", both.Width, both.Height)
	}
	a, b := decodeImage(t, thumb.Bytes), decodeImage(t, both.Bytes)
	la, _, _ := meanLab(a, a.Bounds())
	lb, _, _ := meanLab(b, b.Bounds())
	if ratio := lb / la; ratio < 1.17 || ratio > 1.23 {
		t.Errorf("mean L* %.1f → %.1f, ratio %.3f, want about 1.2", la, lb, ratio)
	}
}

// An EXIF orientation of 6 means "turn a quarter clockwise to view": the
// stored top (red) ends on the right, the stored bottom (blue) on the left.
func TestEXIFOrientation(t *testing.T) {
	stored := quadrants(300, 200, red, red, blue, blue)
	src := exiftest.JPEG(encodeJPEG(t, stored), 6, "Pixmill")

	info, err := Probe(src)
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != 200 || info.Height != 300 {
		t.Errorf("Probe: %dx%d, want the upright 200x300", info.Width, info.Height)
	}
	for name, ops := range map[string][]Op{
		"no ops":          nil,
		"thumbnail first": {&Thumbnail{Width: 100, Height: 150, Fit: "fit"}},
		"crop first":      {&Crop{Width: 200, Height: 300}},
	} {
		res := process(t, src, Output{Format: "jpeg"}, ops...)
		img := decodeImage(t, res.Bytes)
		w, h := img.Bounds().Dx(), img.Bounds().Dy()
		if w >= h {
			t.Errorf("%s: %dx%d, want portrait", name, w, h)
			continue
		}
		// The metadata is kept (no Strip): its orientation must now say
		// "as stored", or viewers would turn the picture a second time.
		if shown, err := Probe(res.Bytes); err != nil || shown.Width != w || shown.Height != h {
			t.Errorf("%s: a viewer shows the result as %dx%d (%v), want %dx%d as stored", name, shown.Width, shown.Height, err, w, h)
		}
		left := averageColour(img, inset(image.Rect(0, 0, w/2, h), w/10))
		right := averageColour(img, inset(image.Rect(w/2, 0, w, h), w/10))
		if deltaE(left, blue) > 5 || deltaE(right, red) > 5 {
			t.Errorf("%s: left %v, right %v; want blue, red", name, left, right)
		}
		// The tag was consumed: reading the result again must not turn it again.
		again, err := Probe(res.Bytes)
		if err != nil || again.Width != w || again.Height != h {
			t.Errorf("%s: Probe of the result = %+v, %v; want %dx%d", name, again, err, w, h)
		}
	}
}

func TestBadInputs(t *testing.T) {
	jpg := encodeJPEG(t, photo(400, 300))
	pngData := encodePNG(t, photo(400, 300))
	const notImage = "the file is not a readable image (jpeg, png"
	tests := []struct {
		name string
		src  []byte
		want string
	}{
		{"empty", nil, notImage},
		{"text named .jpg", []byte("Dear customer, your order has shipped.\n"), notImage},
		{"svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>`), notImage},
		{"truncated jpeg", jpg[:len(jpg)/2], notImage},
		{"jpeg without its last bytes", jpg[:len(jpg)-2], notImage},
		{"jpeg header only", jpg[:200], notImage},
		{"truncated png", pngData[:len(pngData)/2], notImage},
		{"png without IEND", pngData[:len(pngData)-12], notImage},
		{"jpeg magic then junk", append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{0x42}, 100)...), notImage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Process(context.Background(), tt.src, []Op{&Thumbnail{Width: 50, Fit: "fit"}}, Output{})
			wantFault(t, err, fault.Permanent, tt.want)
			_, err = Process(context.Background(), tt.src, nil, Output{})
			wantFault(t, err, fault.Permanent, tt.want)
			_, err = Probe(tt.src)
			wantFault(t, err, fault.Permanent, tt.want)
		})
	}
}

func TestOutput(t *testing.T) {
	pngSrc := encodePNG(t, photo(64, 48))
	jpgSrc := encodeJPEG(t, photo(64, 48))
	tests := []struct {
		name       string
		src        []byte
		out        Output
		wantFormat string
		wantType   string
	}{
		{"same as png input", pngSrc, Output{}, "png", "image/png"},
		{"same as jpeg input", jpgSrc, Output{}, "jpeg", "image/jpeg"},
		{"png to jpeg", pngSrc, Output{Format: "jpeg"}, "jpeg", "image/jpeg"},
		{"jpg is jpeg", pngSrc, Output{Format: "jpg"}, "jpeg", "image/jpeg"},
		{"webp", jpgSrc, Output{Format: "webp", Quality: 60}, "webp", "image/webp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := process(t, tt.src, tt.out)
			if res.Format != tt.wantFormat || res.ContentType != tt.wantType {
				t.Errorf("got %s %s, want %s %s", res.Format, res.ContentType, tt.wantFormat, tt.wantType)
			}
			info, err := Probe(res.Bytes)
			if err != nil || info.Format != tt.wantFormat || info.Width != 64 || info.Height != 48 {
				t.Errorf("Probe of the result = %+v, %v", info, err)
			}
		})
	}
}

func TestOutputInvalid(t *testing.T) {
	src := encodePNG(t, photo(16, 16))
	for _, tt := range []struct {
		out  Output
		want string
	}{
		{Output{Format: "bmp"}, `output: format "bmp" is not supported (supported: jpeg, png, webp`},
		{Output{Quality: 101}, "output: quality must be between 1 and 100 (0 for the default), got 101"},
		{Output{Quality: -1}, "output: quality must be between 1 and 100 (0 for the default), got -1"},
	} {
		_, err := Process(context.Background(), src, nil, tt.out)
		wantFault(t, err, fault.InvalidArgument, tt.want)
	}
}

func TestQualityChangesSize(t *testing.T) {
	src := encodePNG(t, photo(300, 200))
	low := process(t, src, Output{Format: "jpeg", Quality: 30})
	def := process(t, src, Output{Format: "jpeg"})
	high := process(t, src, Output{Format: "jpeg", Quality: 98})
	if !(len(low.Bytes) < len(def.Bytes) && len(def.Bytes) < len(high.Bytes)) {
		t.Errorf("sizes at quality 30, default, 98: %d, %d, %d; want increasing", len(low.Bytes), len(def.Bytes), len(high.Bytes))
	}
}

// TestStrip: the camera's EXIF is in the result when the metadata is kept
// and gone when it is stripped, whatever way the picture was decoded
// (whole, shrunk on load, shrunk on load and then needed whole).
func TestStrip(t *testing.T) {
	// Orientation 1 keeps the picture as it is; the camera make marks the EXIF.
	src := exiftest.JPEG(encodeJPEG(t, photo(64, 48)), 1, "PixmillTestCamera")
	thumb := &Thumbnail{Width: 32, Height: 32, Fit: "fit"}
	quarter := &Rotate{Angle: 90, Background: "#000000"}
	for _, tt := range []struct {
		name string
		ops  []Op
	}{
		{"no ops", nil},
		{"decoded whole", []Op{quarter}},
		{"shrunk on load", []Op{thumb, &Brightness{Factor: 1.1}}},
		{"shrunk on load, then needed whole", []Op{thumb, quarter}},
	} {
		for _, strip := range []bool{false, true} {
			res := process(t, src, Output{Format: "jpeg", Strip: strip}, tt.ops...)
			if kept := exiftest.HasEXIF(res.Bytes, "PixmillTestCamera"); kept == strip {
				t.Errorf("%s, strip %v: the camera's EXIF is in the result: %v", tt.name, strip, kept)
			}
		}
	}
}

// JPEG has no transparency: what was transparent turns white, not black.
func TestTransparentToJPEG(t *testing.T) {
	pic := image.NewNRGBA(image.Rect(0, 0, 40, 40))
	for i := range pic.Pix {
		pic.Pix[i] = 0
	}
	res := process(t, encodePNG(t, pic), Output{Format: "jpeg"})
	img := decodeImage(t, res.Bytes)
	if d := deltaE(averageColour(img, img.Bounds()), color.RGBA{255, 255, 255, 255}); d > 2 {
		t.Errorf("transparent area became %v, want white", averageColour(img, img.Bounds()))
	}
}

func TestContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Process(ctx, encodePNG(t, photo(16, 16)), []Op{&Brightness{Factor: 2}}, Output{})
	if !errors.Is(err, context.Canceled) || err != context.Canceled {
		t.Errorf("got %v, want context.Canceled unchanged", err)
	}
}

// Ops built by hand are checked like parsed ones.
func TestProcessChecksOps(t *testing.T) {
	src := encodePNG(t, photo(16, 16))
	for _, tt := range []struct {
		op   Op
		want string
	}{
		{&Thumbnail{Fit: "fit"}, "thumbnail: give width, height or both"},
		{&Thumbnail{Width: 20000, Fit: "fit"}, "thumbnail: width must be between 1 and 10000, got 20000"},
		{&Thumbnail{Width: 20}, `thumbnail: fit must be one of fit, fill, smart, got ""`},
		{&Redeye{Regions: []Box{{Width: 0, Height: 5}}}, "redeye: regions[0].width must be between 1 and 100000, got 0"},
		{&WhitenTeeth{Strength: 0.5}, "whiten_teeth: region.width must be between 1 and 100000, got 0"},
		{&Recolor{Mode: "none", Duotone: []string{"#000"}}, "recolor: duotone must hold exactly 2 items, got 1"},
		{&Watermark{Text: "x", Color: "white", Opacity: 0.5, Scale: 0.25, Gravity: "centre"}, `watermark: color must be a colour written #rgb, #rrggbb or #rrggbbaa, such as #ff8800, got "white"`},
		{&Crop{Width: 0, Height: 5}, "crop: width must be between 1 and 100000, got 0"},
		{&Brightness{Factor: -1}, "brightness: factor must be between 0 and 10, got -1"},
		{(*Crop)(nil), "crop: the op is a nil pointer"},
	} {
		_, err := Process(context.Background(), src, []Op{tt.op}, Output{})
		wantFault(t, err, fault.InvalidArgument, tt.want)
	}
}

func TestFormats(t *testing.T) {
	got := Formats()
	for _, want := range []string{"jpeg", "png", "webp"} {
		found := false
		for _, f := range got {
			found = found || f == want
		}
		if !found {
			t.Errorf("Formats() = %v, want it to include %s", got, want)
		}
	}
}

func TestProbe(t *testing.T) {
	gif := process(t, encodePNG(t, photo(30, 20)), Output{Format: "gif"})
	tests := []struct {
		name string
		src  []byte
		want Info
	}{
		{"jpeg", encodeJPEG(t, photo(640, 480)), Info{Format: "jpeg", Width: 640, Height: 480, Pages: 1}},
		{"png", encodePNG(t, photo(31, 17)), Info{Format: "png", Width: 31, Height: 17, Pages: 1}},
		{"gif", gif.Bytes, Info{Format: "gif", Width: 30, Height: 20, Pages: 1}},
		// Trailing bytes after EOI are allowed: some cameras append data.
		{"jpeg with trailer", append(encodeJPEG(t, photo(8, 8)), "trailing"...), Info{Format: "jpeg", Width: 8, Height: 8, Pages: 1}},
	}
	for _, tt := range tests {
		got, err := Probe(tt.src)
		if err != nil || got != tt.want {
			t.Errorf("%s: Probe = %+v, %v; want %+v", tt.name, got, err, tt.want)
		}
	}
}

func TestProcessMissingOp(t *testing.T) {
	_, err := Process(context.Background(), encodePNG(t, photo(16, 16)), []Op{&Brightness{Factor: 1}, nil}, Output{})
	wantFault(t, err, fault.InvalidArgument, "op 2 of 2 is missing")
}

// Workers may run several edits at once in one process; each must get its
// own, right answer.
func TestProcessConcurrently(t *testing.T) {
	src := encodeJPEG(t, photo(800, 600))
	sizes := []int{64, 100, 128, 200, 256, 300, 320, 400}
	errs := make(chan error, len(sizes))
	for _, w := range sizes {
		go func() {
			res, err := Process(context.Background(), src, []Op{&Thumbnail{Width: w, Fit: "fit"}, &Brightness{Factor: 1.1}}, Output{Format: "png"})
			if err == nil && (res.Width != w || res.Height != w*3/4) {
				err = fmt.Errorf("width %d: got %dx%d", w, res.Width, res.Height)
			}
			errs <- err
		}()
	}
	for range sizes {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// Shrink-on-load gives a picture libvips can read only once, top to bottom;
// every op must still work after it, including those that read out of
// order (a quarter turn, an upside-down flip, a smart crop) or more than
// once (red eye, teeth), and whatever follows them. The table must name
// every op, so a new one is tried too.
func TestEveryOpAfterShrinkOnLoad(t *testing.T) {
	id := events.NewID()
	wm := &Watermark{Image: id, Scale: 0.2, Color: "#ffffff", Opacity: 0.5, Gravity: "south-east"}
	if err := wm.Provide(id, logo(t, 64, 64)); err != nil {
		t.Fatal(err)
	}
	ops := []Op{
		&Thumbnail{Width: 300, Height: 300, Fit: "smart"},
		&Resize{Scale: 0.8, Kernel: "lanczos3"},
		&Crop{X: 10, Y: 10, Width: 200, Height: 150},
		&Crop{Width: 200, Height: 150, Gravity: "smart"},
		&Crop{Width: 200, Height: 150, Gravity: "south-east"},
		&Rotate{Angle: 90, Background: "#000000"},
		&Rotate{Angle: 180, Background: "#000000"},
		&Rotate{Angle: 270, Background: "#000000"},
		&Rotate{Angle: 33, Background: "#000000"},
		&Flip{Direction: "horizontal"},
		&Flip{Direction: "vertical"},
		&Brightness{Factor: 1.1},
		&Contrast{Factor: 1.1},
		&Saturation{Factor: 1.1},
		&Gamma{Factor: 1.1},
		&Recolor{Hue: 10, Mode: "sepia", Strength: 0.5},
		&Redeye{},
		&Redeye{Regions: []Box{{X: 10, Y: 10, Width: 50, Height: 50}}},
		&WhitenTeeth{Region: Box{X: 10, Y: 10, Width: 100, Height: 50}, Strength: 0.5},
		&Enhance{Strength: 1},
		&Blur{Sigma: 3},
		&Sharpen{Sigma: 1, Amount: 1},
		&Watermark{Text: "pixmill", Color: "#ffffff", Opacity: 0.5, Gravity: "centre", Scale: 0.25},
		wm,
	}
	covered := map[string]bool{}
	src := encodeJPEG(t, photo(1200, 900))
	for _, op := range ops {
		covered[op.Name()] = true
		first := &Thumbnail{Width: 400, Fit: "fit"}
		for _, then := range [][]Op{nil, {&Flip{Direction: "vertical"}}, {&Brightness{Factor: 0.9}}} {
			pipeline := append([]Op{first, op}, then...)
			if _, err := Process(t.Context(), src, pipeline, Output{Format: "jpeg", Strip: true}); err != nil {
				t.Errorf("thumbnail, %s, then %d more: %v", Canonical(op), len(then), err)
			}
		}
	}
	for name := range registry.byName {
		if !covered[name] {
			t.Errorf("op %s is not in the table", name)
		}
	}
}
