package imaging

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
)

var large struct {
	once sync.Once
	jpg  []byte
}

// largeJPEG is a 4000×3000 (12 MP) photo-like JPEG, drawn once per run.
// Noise gives it the texture of a real photo, and so a realistic file size
// (about 7 MB at quality 95) and decoding cost.
func largeJPEG(tb testing.TB) []byte {
	large.once.Do(func() {
		img := photo(4000, 3000)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range img.Pix {
			if i%4 != 3 {
				img.Pix[i] = uint8(min(max(int(img.Pix[i])+rng.IntN(41)-20, 0), 255))
			}
		}
		large.jpg = encodeJPEG(tb, img)
	})
	return large.jpg
}

// BenchmarkProcess makes a 256-pixel thumbnail of a 12 MP JPEG. "pixmill" is
// Process; "govips" is the same work called directly (shrink-on-load, JPEG
// at the same quality), so the difference is pixmill's own cost: sniffing,
// the truncation walk, op checks. "govips-full-decode" is what the work
// costs without shrink-on-load.
func BenchmarkProcess(b *testing.B) {
	src := largeJPEG(b)
	ops := []Op{&Thumbnail{Width: 256, Height: 256, Fit: "fit"}}

	b.Run("pixmill", func(b *testing.B) {
		for b.Loop() {
			res, err := Process(context.Background(), src, ops, Output{Format: "jpeg"})
			if err != nil || res.Width != 256 {
				b.Fatalf("Process: %v, %+v", err, res)
			}
		}
	})
	b.Run("govips", func(b *testing.B) {
		for b.Loop() {
			img, err := vips.LoadThumbnailFromBuffer(src, 256, 256, vips.InterestingNone, vips.SizeDown, nil)
			if err != nil {
				b.Fatal(err)
			}
			p := vips.NewJpegExportParams()
			p.Quality = DefaultQuality
			if _, _, err := img.ExportJpeg(p); err != nil {
				b.Fatal(err)
			}
			img.Close()
		}
	})
	b.Run("govips-full-decode", func(b *testing.B) {
		for b.Loop() {
			img, err := vips.LoadImageFromBuffer(src, &vips.ImportParams{})
			if err != nil {
				b.Fatal(err)
			}
			if err := img.ThumbnailWithSize(256, 256, vips.InterestingNone, vips.SizeDown); err != nil {
				b.Fatal(err)
			}
			p := vips.NewJpegExportParams()
			p.Quality = DefaultQuality
			if _, _, err := img.ExportJpeg(p); err != nil {
				b.Fatal(err)
			}
			img.Close()
		}
	})
}
