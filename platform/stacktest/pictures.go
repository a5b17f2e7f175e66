package stacktest

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
)

// Picture is a test picture in memory.
type Picture struct {
	Name string
	Data []byte
}

// Photos returns the real photographs in PIXMILL_PHOTOS (filled by
// scripts/fetch-photos.sh, which `make test` runs). Without them the test is
// skipped on a developer's machine and fails in CI, where they must be.
func Photos(tb testing.TB) []Picture {
	tb.Helper()
	dir := os.Getenv("PIXMILL_PHOTOS")
	paths, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
	if dir == "" || len(paths) == 0 {
		msg := "no photos in PIXMILL_PHOTOS=" + dir + "; run scripts/fetch-photos.sh (make test does)"
		if os.Getenv("CI") != "" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	sort.Strings(paths)
	var out []Picture
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, Picture{Name: filepath.Base(p), Data: b})
	}
	return out
}

// Generated returns n pictures drawn from seed: smooth colour fields with
// noise, mid-tone on average, of varied sizes and aspect ratios; every fifth
// is a PNG, the rest JPEGs. Pictures are drawn once per (n, seed) in a test
// binary: several tests share them, and drawing is slow under -race.
func Generated(tb testing.TB, n int, seed uint64) []Picture {
	tb.Helper()
	key := [2]uint64{uint64(n), seed}
	if v, ok := generated.Load(key); ok {
		return slices.Clone(v.([]Picture))
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]Picture, n)
	for i := range n {
		w, h := 320+rng.IntN(1300), 240+rng.IntN(1000)
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		base := [3]float64{40 + rng.Float64()*100, 40 + rng.Float64()*100, 40 + rng.Float64()*100}
		// One row of noise, shifted per row: random enough to look like a
		// photo to an encoder, far cheaper than a random number per pixel.
		noise := make([]uint8, w+h)
		for j := range noise {
			noise[j] = uint8(rng.IntN(12))
		}
		for y := range h {
			row := img.Pix[y*img.Stride : y*img.Stride+4*w]
			fy := float64(y) / float64(h)
			for x := range w {
				fx := float64(x) / float64(w)
				nz := float64(noise[x+y%h])
				row[4*x] = uint8(min(255, base[0]+60*fx+nz))
				row[4*x+1] = uint8(min(255, base[1]+60*fy+nz))
				row[4*x+2] = uint8(min(255, base[2]+30*(fx+fy)+nz))
				row[4*x+3] = 255
			}
		}
		var b bytes.Buffer
		name := fmt.Sprintf("generated-%03d", i)
		var err error
		if i%5 == 4 {
			name += ".png"
			err = png.Encode(&b, img)
		} else {
			name += ".jpg"
			err = jpeg.Encode(&b, img, &jpeg.Options{Quality: 88})
		}
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = Picture{Name: name, Data: b.Bytes()}
	}
	generated.Store(key, out)
	return slices.Clone(out)
}

var generated sync.Map // [2]uint64{n, seed} → []Picture
