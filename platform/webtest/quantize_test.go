package webtest

import (
	"cmp"
	"image"
	"image/color"
	"maps"
	"slices"
)

// quantize turns a screenshot into at most 256 colours: a third of the bytes
// to commit, and no visible loss for a picture of the page. The page's own
// colours (backgrounds, text, borders: the most frequent ones) are kept
// exactly, so flat areas stay flat; photos on the page take a colour cube
// with Floyd–Steinberg dithering. image/draw dithers too, but it searches the
// whole palette for every pixel, seconds per screenshot; a table of the
// nearest colour for each 5-bit-per-channel colour makes it milliseconds.
func quantize(img image.Image) *image.Paletted {
	b := img.Bounds()
	w := b.Dx()
	px := make([][3]int32, w*b.Dy())
	freq := map[[3]int32]int{}
	for y := range b.Dy() {
		for x := range w {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			c := [3]int32{int32(r >> 8), int32(g >> 8), int32(bl >> 8)}
			px[y*w+x] = c
			freq[c]++
		}
	}
	// The page's colours, then a cube of 6 levels of red, 7 of green and 5
	// of blue (the eye tells greens apart best, blues least): 250 colours.
	const pageColours = 40
	page := slices.SortedFunc(maps.Keys(freq), func(a, c [3]int32) int { return cmp.Compare(freq[c], freq[a]) })
	page = page[:min(len(page), pageColours)]
	var pal color.Palette
	exact := map[[3]int32]uint8{}
	for _, c := range page {
		exact[c] = uint8(len(pal))
		pal = append(pal, color.RGBA{uint8(c[0]), uint8(c[1]), uint8(c[2]), 255})
	}
	for r := range 6 {
		for g := range 7 {
			for bl := range 5 {
				if len(pal) < 256 {
					pal = append(pal, color.RGBA{uint8(r * 51), uint8(g * 255 / 6), uint8(bl * 255 / 4), 255})
				}
			}
		}
	}
	var nearest [1 << 15]uint8
	for i := range nearest {
		want := [3]int32{int32(i>>10)<<3 | 4, int32(i>>5&31)<<3 | 4, int32(i&31)<<3 | 4}
		best, bestD := 0, int32(1<<31-1)
		for j, c := range pal {
			if d := dist(want, c.(color.RGBA)); d < bestD {
				best, bestD = j, d
			}
		}
		nearest[i] = uint8(best)
	}
	out := image.NewPaletted(b, pal)
	// Errors carried to this row and the next, with a pixel of margin on
	// each side, in sixteenths.
	cur, next := make([][3]int32, w+2), make([][3]int32, w+2)
	for y := range b.Dy() {
		for x := range w {
			want := px[y*w+x]
			for k := range want {
				want[k] = min(max(want[k]+cur[x+1][k]/16, 0), 255)
			}
			i, ok := exact[want]
			if !ok {
				i = nearest[want[0]>>3<<10|want[1]>>3<<5|want[2]>>3]
			}
			out.Pix[y*out.Stride+x] = i
			got := pal[i].(color.RGBA)
			for k, v := range [3]int32{int32(got.R), int32(got.G), int32(got.B)} {
				e := want[k] - v
				cur[x+2][k] += 7 * e
				next[x][k] += 3 * e
				next[x+1][k] += 5 * e
				next[x+2][k] += e
			}
		}
		cur, next = next, cur
		clear(next)
	}
	return out
}

func dist(a [3]int32, c color.RGBA) int32 {
	dr, dg, db := a[0]-int32(c.R), a[1]-int32(c.G), a[2]-int32(c.B)
	return dr*dr + dg*dg + db*db
}
