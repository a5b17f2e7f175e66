package imaging

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/events/fault"
)

func TestMain(m *testing.M) {
	if err := Startup(DefaultConfig()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	Shutdown()
	os.Exit(code)
}

var (
	red    = color.RGBA{220, 30, 30, 255}
	green  = color.RGBA{30, 200, 40, 255}
	blue   = color.RGBA{30, 40, 210, 255}
	yellow = color.RGBA{230, 220, 40, 255}
)

func rgba(r, g, b uint8) color.RGBA { return color.RGBA{r, g, b, 255} }

// quadrants draws a w×h picture whose four quarters are tl, tr, bl and br.
func quadrants(w, h int, tl, tr, bl, br color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := tl
			switch {
			case x >= w/2 && y < h/2:
				c = tr
			case x < w/2 && y >= h/2:
				c = bl
			case x >= w/2 && y >= h/2:
				c = br
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// stripes draws a w×h picture of vertical stripes of equal width.
func stripes(w, h int, cs ...color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, cs[x*len(cs)/w])
		}
	}
	return img
}

// photo draws something with the statistics of a photo: smooth colour
// gradients, mid-tones, a little texture, no clipped areas.
func photo(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			t := 8 * math.Sin(float64(x)/7) * math.Cos(float64(y)/5)
			img.SetRGBA(x, y, color.RGBA{
				uint8(60 + 90*fx + t),
				uint8(50 + 70*fy + t),
				uint8(90 - 40*fx + 30*fy + t),
				255,
			})
		}
	}
	return img
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func decodeImage(t testing.TB, b []byte) image.Image {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decoding the result: %v", err)
	}
	return img
}

// meanLab averages L*, a* and b* over r.
func meanLab(img image.Image, r image.Rectangle) (l, a, b float64) {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			pl, pa, pb := lab(img.At(x, y))
			l, a, b = l+pl, a+pa, b+pb
			n++
		}
	}
	return l / float64(n), a / float64(n), b / float64(n)
}

// deltaE is the CIE76 colour difference: about 2.3 is just noticeable.
func deltaE(c1, c2 color.Color) float64 {
	l1, a1, b1 := lab(c1)
	l2, a2, b2 := lab(c2)
	return math.Sqrt((l1-l2)*(l1-l2) + (a1-a2)*(a1-a2) + (b1-b2)*(b1-b2))
}

// averageColour averages the colours in r.
func averageColour(img image.Image, r image.Rectangle) color.RGBA {
	var sr, sg, sb, n uint64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			sr, sg, sb, n = sr+uint64(cr>>8), sg+uint64(cg>>8), sb+uint64(cb>>8), n+1
		}
	}
	return color.RGBA{uint8(sr / n), uint8(sg / n), uint8(sb / n), 255}
}

// colourfulShare is the share of img's pixels with a CIELAB chroma over 30.
func colourfulShare(img image.Image) float64 {
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if chroma(img.At(x, y)) > 30 {
				n++
			}
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy())
}

// inset shrinks r by d on every side, to measure away from edges that
// resampling and JPEG blur.
func inset(r image.Rectangle, d int) image.Rectangle {
	return image.Rect(r.Min.X+d, r.Min.Y+d, r.Max.X-d, r.Max.Y-d)
}

// process runs Process and fails the test on error.
func process(t testing.TB, src []byte, out Output, ops ...Op) *Result {
	t.Helper()
	res, err := Process(context.Background(), src, ops, out)
	if err != nil {
		t.Fatalf("Process: %v", err)
	}
	return res
}

// wantFault fails unless err has the kind and its public message starts with prefix.
func wantFault(t testing.TB, err error, kind fault.Kind, prefix string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s %q", kind, prefix)
	}
	if got := fault.KindOf(err); got != kind {
		t.Errorf("kind = %s, want %s (error: %v)", got, kind, err)
	}
	if got := fault.Message(err); !strings.HasPrefix(got, prefix) {
		t.Errorf("message = %q, want it to start with %q", got, prefix)
	}
}
