package faces

import (
	"image"
	"math/rand/v2"
	"testing"
)

// The pyramid's levels are built into tables reused from level to level
// and from search to search: whatever a table held before, a level built
// into it must hold exactly the integral of the picture's block means,
// worked out here the slow way, with every block's mean rounded to the
// nearest grey.
func TestShrinkIntoReusedTables(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const w, h = 157, 113
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = uint8(rng.IntN(256))
	}
	var base, out integral
	var xs []int
	// Dirty tables, larger than any level below, as a search leaves them.
	out.sum = make([]int32, 200*200)
	out.sq = make([]float64, 200*200)
	for i := range out.sum {
		out.sum[i], out.sq[i] = -7, -7
	}
	base.of(g, w+1)
	const stride = w/2 + 1 // the largest level's, as a search lays them out
	for _, c := range []struct{ sw, sh, y0, y1 int }{
		{w / 2, h / 2, 0, h / 2},
		{w / 2, h / 2, 10, 30},
		{w / 3, h / 3, 0, h / 3},
		{40, 20, 5, 20},
		{w / 5, h / 5, 1, 2},
	} {
		lvl := base.shrink(&out, &xs, c.sw, c.sh, c.y0, c.y1, stride)
		if lvl.w != c.sw || lvl.h != c.y1-c.y0 {
			t.Fatalf("%dx%d rows %d-%d: level %dx%d", c.sw, c.sh, c.y0, c.y1, lvl.w, lvl.h)
		}
		var sum [][]int64
		var sq [][]float64
		sum = append(sum, make([]int64, c.sw+1))
		sq = append(sq, make([]float64, c.sw+1))
		for y := c.y0; y < c.y1; y++ {
			rs, rq := make([]int64, c.sw+1), make([]float64, c.sw+1)
			var s int64
			var q float64
			for x := range c.sw {
				x0, x1 := x*w/c.sw, (x+1)*w/c.sw
				t0, t1 := y*h/c.sh, (y+1)*h/c.sh
				var tot, n int
				for yy := t0; yy < t1; yy++ {
					for xx := x0; xx < x1; xx++ {
						tot += int(g.Pix[yy*g.Stride+xx])
						n++
					}
				}
				v := (tot + n/2) / n
				s += int64(v)
				q += float64(v * v)
				rs[x+1] = sum[len(sum)-1][x+1] + s
				rq[x+1] = sq[len(sq)-1][x+1] + q
			}
			sum, sq = append(sum, rs), append(sq, rq)
		}
		for y := range sum {
			for x := range sum[y] {
				i := y*stride + x
				if int64(lvl.sum[i]) != sum[y][x] || lvl.sq[i] != sq[y][x] {
					t.Fatalf("%dx%d rows %d-%d: at %d,%d sum %d squares %g, want %d and %g",
						c.sw, c.sh, c.y0, c.y1, x, y, lvl.sum[i], lvl.sq[i], sum[y][x], sq[y][x])
				}
			}
		}
	}
}

// A search takes its tables from a pool: searching the same picture again
// finds the same faces, and allocates no more for a picture with many
// levels than it did the first time, far less than a level's tables.
func TestSearchReusesTables(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops tables at random")
	}
	g := readGrey(t, "PIXMILL_SKIMAGE", "astronaut.png")
	first, err := Faces(g, 20)
	if err != nil {
		t.Fatal(err)
	}
	var again []Detection
	bytes := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if again, err = Faces(g, 20); err != nil {
				b.Fatal(err)
			}
		}
	}).AllocedBytesPerOp()
	if len(again) != len(first) {
		t.Fatalf("found %v the second time, %v the first", again, first)
	}
	for i := range first {
		if again[i] != first[i] {
			t.Fatalf("found %v the second time, %v the first", again, first)
		}
	}
	// One level's tables alone: a 4-byte sum and an 8-byte square a pixel.
	level := int64(12 * g.Rect.Dx() * g.Rect.Dy())
	t.Logf("%d faces; a search allocates %d bytes, one level's tables are %d", len(first), bytes, level)
	if bytes > level/2 {
		t.Errorf("a search allocates %d bytes, want under %d: the tables are not reused", bytes, level/2)
	}
}
