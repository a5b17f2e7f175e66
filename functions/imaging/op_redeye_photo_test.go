package imaging

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/pixmill/pixmill/events"
)

// envSkimage names the directory holding scikit-image's astronaut.png, which
// scripts/fetch-skimage.sh fetches from Debian's python3-skimage.
const envSkimage = "PIXMILL_SKIMAGE"

// readSkimage reads a picture from PIXMILL_SKIMAGE: on CI it must be there;
// elsewhere the test is skipped without it.
func readSkimage(t *testing.T, name string) []byte {
	t.Helper()
	dir := os.Getenv(envSkimage)
	if dir == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set; CI must fetch the pictures with scripts/fetch-skimage.sh", envSkimage)
		}
		t.Skipf("%s is not set; run scripts/fetch-skimage.sh DIR and set %s=DIR", envSkimage, envSkimage)
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return b
}

// The negative control: a real portrait with no red eyes but a flag of red
// stripes, an orange suit, red lips and a mission patch. Automatic red-eye
// must leave every pixel as it was.
func TestRedeyeAstronautUntouched(t *testing.T) {
	src := readSkimage(t, "astronaut.png")
	base := decodeImage(t, process(t, src, Output{Format: "png"}).Bytes)
	got := decodeImage(t, process(t, src, Output{Format: "png"}, &Redeye{}).Bytes)
	b := base.Bounds()
	changed := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if base.At(x, y) != got.At(x, y) {
				changed++
			}
		}
	}
	if changed != 0 {
		t.Errorf("automatic red-eye changed %d pixels of the astronaut portrait, want none", changed)
	}
}

// More negative controls: the photographs of Debian's mate-backgrounds
// (flowers, a ladybird, butterflies, fabric, elephants), made 1600 pixels
// wide as a gallery would. None has an eye in it; automatic red-eye must
// change none of them.
func TestRedeyePhotosUntouched(t *testing.T) {
	dir := os.Getenv("PIXMILL_PHOTOS")
	if dir == "" {
		t.Skip("PIXMILL_PHOTOS is not set; make test fetches the photographs with scripts/fetch-photos.sh")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.jpg"))
	if err != nil || len(files) == 0 {
		t.Skipf("no photographs in %s", dir)
	}
	small := &Thumbnail{Width: 1600, Height: 1600, Fit: "fit"}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// libjpeg is deterministic: the same pixels give the same JPEG.
		base := process(t, src, Output{Format: "jpeg", Strip: true}, small)
		got := process(t, src, Output{Format: "jpeg", Strip: true}, small, &Redeye{})
		if !bytes.Equal(base.Bytes, got.Bytes) && !bytes.Equal(pixelsOf(t, base.Bytes), pixelsOf(t, got.Bytes)) {
			t.Errorf("%s: automatic red-eye changed the picture", filepath.Base(f))
		}
	}
}

// After a thumbnail decoded shrunk, which libvips reads only once and in
// order, the ops that read pixels still work, and so does what follows.
func TestPixelOpsAfterShrinkOnLoad(t *testing.T) {
	fs := faceScenes(t)[4] // the close-up
	id := events.NewID()
	wm := &Watermark{Image: id, Scale: 0.2, Color: "#ffffff", Opacity: 0.5, Gravity: "south-east"}
	if err := wm.Provide(id, logo(t, 100, 100)); err != nil {
		t.Fatal(err)
	}
	for _, ops := range [][]Op{
		{&Thumbnail{Width: 410, Fit: "fit"}, &Redeye{}},
		{&Thumbnail{Width: 410, Fit: "fit"}, &WhitenTeeth{Region: Box{X: 100, Y: 100, Width: 200, Height: 100}, Strength: 0.5}},
		{&Thumbnail{Width: 410, Fit: "fit"}, &Watermark{Text: "x", Color: "#ffffff", Opacity: 0.5, Gravity: "centre", Scale: 0.25}, wm, &Redeye{}, &Brightness{Factor: 1.1}},
	} {
		res := process(t, encodeJPEG(t, fs.s.img), Output{Format: "jpeg", Strip: true}, ops...)
		if res.Width != 410 {
			t.Errorf("%d ops: width %d, want 410", len(ops), res.Width)
		}
	}
	// the pupils are corrected at the thumbnail's scale too
	var half []Box
	for _, b := range eyeBoxes(fs.s) {
		half = append(half, Box{X: b.X / 2, Y: b.Y / 2, Width: b.Width / 2, Height: b.Height / 2})
	}
	img := decodeImage(t, process(t, fs.src, Output{Format: "png"}, &Thumbnail{Width: 410, Fit: "fit"}, &Redeye{Regions: half}).Bytes)
	for _, p := range fs.s.pupils {
		if c := chroma(img.At(int(p.pupil.x/2)+2, int(p.pupil.y/2)+2)); c > 10 {
			t.Errorf("pupil at %.0f,%.0f: chroma %.0f after thumbnail and red-eye, want it corrected", p.pupil.x/2, p.pupil.y/2, c)
		}
	}
}
