package imaging

import (
	"bytes"
	"image"
	"os"
	"slices"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
)

// Every format the installed libvips can write round-trips a picture: the
// result is that format, at the same size, and looks the same.
func TestOutputFormats(t *testing.T) {
	pic := photo(96, 64)
	src := encodePNG(t, pic)
	for _, f := range []string{"jpeg", "png", "webp", "avif", "heif"} {
		if !slices.Contains(Formats(), f) {
			t.Logf("%s: not writable by this libvips, skipped", f)
			continue
		}
		res := process(t, src, Output{Format: f, Quality: 90, Strip: true})
		info, err := Probe(res.Bytes)
		if err != nil || info.Format != f || info.Width != 96 || info.Height != 64 {
			t.Errorf("%s: Probe = %+v, %v", f, info, err)
			continue
		}
		// Go cannot decode AVIF or HEIF; libvips turns them back into PNG.
		back := decodeImage(t, process(t, res.Bytes, Output{Format: "png"}).Bytes)
		if d := deltaE00(averageColour(back, back.Bounds()), averageColour(pic, pic.Bounds())); d > 2 {
			t.Errorf("%s: mean colour moved by ΔE00 %.1f", f, d)
		}
	}
}

// withProfile returns src re-encoded as a JPEG whose pixels are in the
// colour space named (a libvips built-in profile: "p3", "srgb") and tagged
// with its profile, as a phone writes Display P3 photos.
func withProfile(t *testing.T, src []byte, profile string) []byte {
	t.Helper()
	img, err := vips.LoadImageFromBuffer(src, &vips.ImportParams{})
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if err := img.TransformICCProfile(profile); err != nil {
		t.Fatal(err)
	}
	p := vips.NewJpegExportParams()
	p.Quality = 95
	out, _, err := img.ExportJpeg(p)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Strip keeps what the metadata meant: a Display P3 photo is converted to
// sRGB, so it looks the same without its profile's help, and is tagged
// sRGB. Without Strip the profile and the numbers stay as they were.
func TestStripConvertsToSRGB(t *testing.T) {
	pic := stripes(90, 30, rgba(200, 40, 40), rgba(40, 160, 60), rgba(50, 80, 200))
	p3 := withProfile(t, encodePNG(t, pic), "p3")

	stripped := process(t, p3, Output{Format: "png", Strip: true})
	img := decodeImage(t, stripped.Bytes)
	for _, x := range []int{15, 45, 75} {
		if d := deltaE00(img.At(x, 15), pic.At(x, 15)); d > 2.5 {
			t.Errorf("stripped: stripe %d is %v, ΔE00 %.1f from the original %v", x/30, img.At(x, 15), d, pic.At(x, 15))
		}
	}
	if prof := profileOf(t, stripped.Bytes); !isSRGBProfile(prof) {
		t.Errorf("stripped: the profile (%d bytes) is not sRGB", len(prof))
	}

	kept := process(t, p3, Output{Format: "png"})
	raw := decodeImage(t, kept.Bytes)
	if d := deltaE00(raw.At(15, 15), pic.At(15, 15)); d < 3 {
		t.Errorf("not stripped: the P3 numbers read as sRGB are only ΔE00 %.1f off; the test picture is too dull to tell", d)
	}
	if prof := profileOf(t, kept.Bytes); len(prof) == 0 || isSRGBProfile(prof) {
		t.Errorf("not stripped: the P3 profile is gone")
	}
}

// A picture already tagged sRGB is not converted: its pixels come out as
// they went in.
func TestStripLeavesSRGBAlone(t *testing.T) {
	src := withProfile(t, encodePNG(t, photo(64, 48)), "srgb")
	a := process(t, src, Output{Format: "png", Strip: true})
	b := process(t, src, Output{Format: "png"})
	if !bytes.Equal(pixelsOf(t, a.Bytes), pixelsOf(t, b.Bytes)) {
		t.Error("an sRGB picture's pixels changed when stripped")
	}
}

func profileOf(t *testing.T, b []byte) []byte {
	t.Helper()
	img, err := vips.LoadImageFromBuffer(b, &vips.ImportParams{})
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	return img.GetICCProfile()
}

// pixelsOf decodes a picture to 8-bit RGBA bytes, to compare pixels
// without the file's other bytes.
func pixelsOf(t *testing.T, b []byte) []byte {
	t.Helper()
	img := decodeImage(t, b)
	switch p := img.(type) {
	case *image.RGBA:
		return p.Pix
	case *image.NRGBA:
		return p.Pix
	}
	var out []byte
	bb := img.Bounds()
	for y := bb.Min.Y; y < bb.Max.Y; y++ {
		for x := bb.Min.X; x < bb.Max.X; x++ {
			r, g, b, a := img.At(x, y).RGBA()
			out = append(out, byte(r>>8), byte(g>>8), byte(b>>8), byte(a>>8))
		}
	}
	return out
}

func TestIsSRGBProfile(t *testing.T) {
	path, err := compactSRGB()
	if err != nil {
		t.Fatal(err)
	}
	micro, err := os.ReadFile(path)
	if err != nil || !isSRGBProfile(micro) {
		t.Errorf("the compact sRGB profile (%d bytes, %v) does not read as sRGB", len(micro), err)
	}
	for _, tt := range []struct {
		profile string
		want    bool
	}{{"srgb", true}, {"p3", false}, {"cmyk", false}} {
		img, err := vips.LoadImageFromBuffer(encodePNG(t, image.NewRGBA(image.Rect(0, 0, 4, 4))), &vips.ImportParams{})
		if err != nil {
			t.Fatal(err)
		}
		if err := img.TransformICCProfile(tt.profile); err != nil {
			t.Fatal(err)
		}
		if got := isSRGBProfile(img.GetICCProfile()); got != tt.want {
			t.Errorf("%s: isSRGBProfile = %v, want %v", tt.profile, got, tt.want)
		}
		img.Close()
	}
	for _, junk := range [][]byte{nil, make([]byte, 131), bytes.Repeat([]byte{0xff}, 400)} {
		if isSRGBProfile(junk) {
			t.Errorf("%d bytes of junk read as sRGB", len(junk))
		}
	}
}
