package imaging

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pixmill/pixmill/events"
)

// envReadmePictures names the directory TestReadmePictures writes to;
// scripts/readme-pictures.sh sets it to docs/ops.
const envReadmePictures = "PIXMILL_README_PICTURES"

// TestReadmePictures draws the before/after pictures of README's Ops
// section from the test pictures: the synthetic mouth, scikit-image's
// astronaut (PIXMILL_SKIMAGE) at a phone photo's size and a photograph from
// Debian's mate-backgrounds (PIXMILL_PHOTOS), when those are there (the
// synthetic faces stand in for what is not). Each picture is
// the input on the left and Process's output on the right, so what the
// README shows is what the code does. It only runs when asked.
func TestReadmePictures(t *testing.T) {
	dir := os.Getenv(envReadmePictures)
	if dir == "" {
		t.Skipf("%s is not set; scripts/readme-pictures.sh sets it", envReadmePictures)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	const side = 300 // width of each half

	// The synthetic mouth, with its trap of pale skin under the lip.
	teeth, box := teethScene()
	mouth := &Crop{X: box.X - 10, Y: box.Y - 10, Width: box.Width + 20, Height: box.Height + 20}
	beforeAfter(t, dir, "whiten_teeth", side, encodePNG(t, teeth.img), []Op{mouth}, []Op{&WhitenTeeth{Region: box, Strength: 0.6}, mouth})

	// A real portrait at a phone photo's size (the astronaut enlarged 8
	// times, 4096×4096), if fetched: red pupils painted in and corrected
	// automatically; the portrait as it is, which automatic red-eye leaves
	// alone; and its smile whitened.
	faces := faceScenes(t)[0].s
	eyes := encodePNG(t, faces.img)
	portrait := readOptional(t, os.Getenv(envSkimage), "astronaut.png")
	if portrait != nil {
		const s = 8
		big := scaledPortrait(t, portrait, s, Output{Format: "png"})
		red, _ := redPupils(t, big, astronautIrises, s, 0.8)
		red = process(t, red, Output{Format: "jpeg", Quality: 85}).Bytes
		eyesCrop := &Crop{X: 180 * s, Y: 80 * s, Width: 90 * s, Height: 40 * s}
		beforeAfter(t, dir, "redeye", side, red, []Op{eyesCrop}, []Op{&Redeye{}, eyesCrop})
		beforeAfter(t, dir, "redeye-photo", side, big, nil, []Op{&Redeye{}})
		face := &Crop{X: 150 * s, Y: 40 * s, Width: 150 * s, Height: 150 * s}
		beforeAfter(t, dir, "whiten_teeth-photo", side, big, []Op{face}, []Op{&WhitenTeeth{Region: scaleBox(astronautMouthBox, s), Strength: 1}, face})
	} else {
		eyesBox := &Crop{X: 470, Y: 110, Width: 300, Height: 130}
		beforeAfter(t, dir, "redeye", side, eyes, []Op{eyesBox}, []Op{&Redeye{Regions: eyeBoxes(faces)}, eyesBox})
	}

	// A photograph for everything else; the faces if there is none.
	photo := readOptional(t, os.Getenv("PIXMILL_PHOTOS"), "Garden.jpg")
	src := photo
	if src == nil {
		src = eyes
	}
	small := []Op{&Thumbnail{Width: 2 * side, Fit: "fit"}}
	detail := small // sharpening shows at full size, on a detail
	if photo != nil {
		// enhance on the photograph given a warm cast (b* +15) and a stop
		// of underexposure, and on the photograph as it is.
		faulty := degrade(toRGBA(decodeImage(t, photo)), func(r, g, b uint8) (uint8, uint8, uint8) {
			return cast(0, 15)(underexpose(r, g, b))
		})
		fix := []Op{&Enhance{Strength: 1}, small[0]}
		beforeAfter(t, dir, "enhance", side, encodePNG(t, faulty), small, fix)
		beforeAfter(t, dir, "enhance-photo", side, photo, small, fix)
		info, err := Probe(photo)
		if err != nil {
			t.Fatal(err)
		}
		detail = []Op{&Crop{X: info.Width * 63 / 100, Y: info.Height * 27 / 100, Width: side, Height: side * 2 / 3}}
	}
	logoID := events.NewID()
	wm := &Watermark{Image: logoID, Scale: 0.2, Color: "#ffffff", Opacity: 0.7, Gravity: "south-east"}
	if err := wm.Provide(logoID, badge(t, 200)); err != nil {
		t.Fatal(err)
	}
	for _, e := range []struct {
		name string
		prep []Op
		ops  []Op
	}{
		{"brightness", small, []Op{&Brightness{Factor: 1.25}}},
		{"contrast", small, []Op{&Contrast{Factor: 1.4}}},
		{"saturation", small, []Op{&Saturation{Factor: 0.4}}},
		{"gamma", small, []Op{&Gamma{Factor: 1.8}}},
		{"recolor-hue", small, []Op{&Recolor{Hue: 120, Mode: "none", Strength: 0.5}}},
		{"recolor-grayscale", small, []Op{&Recolor{Mode: "grayscale", Strength: 0.5}}},
		{"recolor-sepia", small, []Op{&Recolor{Mode: "sepia", Strength: 0.5}}},
		{"recolor-tint", small, []Op{&Recolor{Mode: "none", Tint: "#2080ff", Strength: 0.4}}},
		{"recolor-duotone", small, []Op{&Recolor{Mode: "none", Strength: 0.5, Duotone: []string{"#1b2a4a", "#f6d8a8"}}}},
		{"blur", small, []Op{&Blur{Sigma: 4}}},
		{"sharpen", detail, []Op{&Sharpen{Sigma: 1.5, Amount: 3}}},
		{"rotate", small, []Op{&Rotate{Angle: 12, Background: "#ffffff"}}},
		{"flip", small, []Op{&Flip{Direction: "horizontal"}}},
		{"watermark-text", small, []Op{&Watermark{Text: "© pixmill", Color: "#ffffff", Opacity: 0.7, Gravity: "south-west", Scale: 0.25}}},
		{"watermark-image", small, []Op{wm}},
		{"thumbnail-smart", small, []Op{&Thumbnail{Width: side, Height: side, Fit: "smart"}}},
		{"crop-gravity", small, []Op{&Crop{Width: side, Height: side / 2, Gravity: "north-east"}}},
	} {
		beforeAfter(t, dir, e.name, side, src, e.prep, append(slices.Clone(e.prep), e.ops...))
	}
}

// badge draws a round logo: a white ring on a blue disc, transparent
// around.
func badge(t *testing.T, size int) []byte {
	pic := image.NewNRGBA(image.Rect(0, 0, size, size))
	c := float64(size) / 2
	for y := range size {
		for x := range size {
			d := math.Hypot(float64(x)+0.5-c, float64(y)+0.5-c) / c
			switch {
			case d <= 0.55:
				pic.SetNRGBA(x, y, color.NRGBA{30, 70, 160, 255})
			case d <= 0.75:
				pic.SetNRGBA(x, y, color.NRGBA{255, 255, 255, 255})
			case d <= 1:
				pic.SetNRGBA(x, y, color.NRGBA{30, 70, 160, 255})
			}
		}
	}
	return encodePNG(t, pic)
}

func readOptional(t *testing.T, dir, name string) []byte {
	if dir == "" {
		t.Logf("no %s: its pictures are left out", name)
		return nil
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Logf("%v: its pictures are left out", err)
		return nil
	}
	return b
}

// beforeAfter writes NAME.jpg: src after the ops before, left, and after the ops
// after, right, each scaled to width side, on white.
func beforeAfter(t *testing.T, dir, name string, side int, src []byte, before, after []Op) {
	t.Helper()
	fit := &Thumbnail{Width: side, Height: 2 * side, Fit: "fit", Upscale: true}
	l := decodeImage(t, process(t, src, Output{Format: "png", Strip: true}, append(before, fit)...).Bytes)
	r := decodeImage(t, process(t, src, Output{Format: "png", Strip: true}, append(after, fit)...).Bytes)
	const gap = 6
	w := l.Bounds().Dx() + gap + r.Bounds().Dx()
	h := max(l.Bounds().Dy(), r.Bounds().Dy())
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(out, l.Bounds(), l, image.Point{}, draw.Over)
	draw.Draw(out, r.Bounds().Add(image.Pt(l.Bounds().Dx()+gap, 0)), r, image.Point{}, draw.Over)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, out, &jpeg.Options{Quality: 82}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".jpg"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
