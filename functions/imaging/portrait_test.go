package imaging

import (
	"fmt"
	"image"
	"testing"
)

// The real portraits the red-eye and teeth tests use, at the sizes of a web
// picture (1×) up to a phone photo (8×: the 512-pixel astronaut becomes
// 4096 pixels), in PNG and in JPEG at quality 85 as cameras save them.

// portraitScales are the sizes every photograph test runs at.
var portraitScales = []int{1, 2, 4, 8}

// portraitFormats are how the scaled portrait reaches the op.
var portraitFormats = []Output{{Format: "png"}, {Format: "jpeg", Quality: 85}}

// scaledPortrait is src enlarged scale times by libvips (lanczos3), saved
// as out says.
func scaledPortrait(t testing.TB, src []byte, scale int, out Output) []byte {
	t.Helper()
	if scale == 1 {
		return process(t, src, out).Bytes
	}
	return process(t, src, out, &Resize{Scale: float64(scale), Kernel: "lanczos3"}).Bytes
}

// scaleRect multiplies r, given at 1×, by s.
func scaleRect(r image.Rectangle, s int) image.Rectangle {
	return image.Rect(r.Min.X*s, r.Min.Y*s, r.Max.X*s, r.Max.Y*s)
}

func scaleBox(b Box, s int) Box {
	return Box{X: b.X * s, Y: b.Y * s, Width: b.Width * s, Height: b.Height * s}
}

func caseName(scale int, out Output) string {
	return fmt.Sprintf("%dx-%s", scale, out.Format)
}
