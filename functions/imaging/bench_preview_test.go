package imaging

import (
	"context"
	"testing"

	"github.com/pixmill/pixmill/events"
)

// BenchmarkPreview edits the 18 MP photo with thumbnail (to 2,048 pixels,
// the built-in web preset's size) + recolor + watermark, as a job would
// ("full") and as POST /v1/previews does at 640 pixels, in the same run:
// "preview" from the proxy the gateway keeps of the picture (every preview
// but the first), "first-preview" from the original (the 18 MP photo is a
// progressive JPEG, whose decoding costs much the same at any scale), and
// "proxy" making that proxy, once per picture. The bound: a preview
// costs at most 20 % of the full edit; each reports its share as
// full-share.
func BenchmarkPreview(b *testing.B) {
	src := photo12MP(b)
	logoID := events.NewID()
	ops := func() []Op {
		mark := &Watermark{Image: logoID, Scale: 0.2, Color: "#ffffff", Opacity: 0.6, Gravity: "south-east"}
		if err := mark.Provide(logoID, logo(b, 600, 600)); err != nil {
			b.Fatal(err)
		}
		return []Op{&Thumbnail{Width: 2048, Height: 2048, Fit: "fit"}, &Recolor{Mode: "sepia", Strength: 0.5}, mark}
	}
	out := Output{Format: "webp", Quality: 75, Strip: true}
	ctx := context.Background()
	var full float64
	b.Run("full", func(b *testing.B) {
		o := ops()
		for b.Loop() {
			if _, err := Process(ctx, src, o, out); err != nil {
				b.Fatal(err)
			}
		}
		full = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	share := func(b *testing.B) {
		if full > 0 {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/full, "full-share")
		}
	}
	info, err := Probe(src)
	if err != nil {
		b.Fatal(err)
	}
	proxy, err := Proxy(ctx, src)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("preview", func(b *testing.B) {
		o := ops()
		for b.Loop() {
			if _, err := PreviewOf(ctx, proxy.Bytes, info.Width, info.Height, o, out, 640); err != nil {
				b.Fatal(err)
			}
		}
		share(b)
	})
	b.Run("first-preview", func(b *testing.B) {
		o := ops()
		for b.Loop() {
			if _, err := Preview(ctx, src, o, out, 640); err != nil {
				b.Fatal(err)
			}
		}
		share(b)
	})
	b.Run("proxy", func(b *testing.B) {
		for b.Loop() {
			if _, err := Proxy(ctx, src); err != nil {
				b.Fatal(err)
			}
		}
		share(b)
	})
}
