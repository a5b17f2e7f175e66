package imaging

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/pixmill/pixmill/events"
)

var benchPhoto struct {
	once sync.Once
	src  []byte
	name string
}

// photo12MP is the picture the op benchmarks edit: the 18 MP elephants
// photograph from Debian's mate-backgrounds when scripts/fetch-photos.sh
// has put it in PIXMILL_PHOTOS, else the generated 12 MP JPEG.
func photo12MP(b *testing.B) []byte {
	benchPhoto.once.Do(func() {
		if dir := os.Getenv("PIXMILL_PHOTOS"); dir != "" {
			if src, err := os.ReadFile(filepath.Join(dir, "Elephants_5640x3172.jpg")); err == nil {
				benchPhoto.src, benchPhoto.name = src, "Elephants_5640x3172.jpg"
				return
			}
		}
		benchPhoto.src, benchPhoto.name = largeJPEG(b), "generated 4000x3000"
	})
	b.Logf("picture: %s", benchPhoto.name)
	return benchPhoto.src
}

// BenchmarkOps runs each op on a large photo, decoded and encoded as JPEG
// at DefaultQuality, two ways: "pixmill" is Process, as the edit function
// calls it; "vips" is the same work written directly against govips, the
// shortest honest way: the same load, the same libvips operations (or the
// obvious ones where pixmill does something of its own), the same save.
// The difference is what pixmill's own code costs, per op.
//
// redeye and whiten_teeth have no libvips counterpart; their "vips" side
// only decodes and encodes, so the difference is the whole cost of finding
// and correcting. Besides ns/op each reports cpu-ms/op, the CPU time used,
// which other work on the machine does not inflate.
func BenchmarkOps(b *testing.B) {
	src := photo12MP(b)
	probe, err := Probe(src)
	if err != nil {
		b.Fatal(err)
	}
	W, H := probe.Width, probe.Height
	logoID := events.NewID()
	logoPNG := logo(b, 600, 600)
	cases := []struct {
		name string
		op   Op
		load func(src []byte) (*vips.ImageRef, error) // nil: decode whole, upright
		edit func(img *vips.ImageRef) error
	}{
		{"thumbnail", &Thumbnail{Width: 512, Height: 512, Fit: "fit"},
			func(src []byte) (*vips.ImageRef, error) {
				return vips.LoadThumbnailFromBuffer(src, 512, 512, vips.InterestingNone, vips.SizeDown, nil)
			}, nil},
		{"thumbnail-smart", &Thumbnail{Width: 512, Height: 512, Fit: "smart"},
			func(src []byte) (*vips.ImageRef, error) {
				return vips.LoadThumbnailFromBuffer(src, 512, 512, vips.InterestingAttention, vips.SizeDown, nil)
			}, nil},
		{"resize", &Resize{Width: 2000, Kernel: "lanczos3"}, nil,
			func(img *vips.ImageRef) error { return img.Resize(2000.0/float64(img.Width()), vips.KernelLanczos3) }},
		{"crop", &Crop{Width: 2000, Height: 1500, Gravity: "centre"}, nil,
			func(img *vips.ImageRef) error {
				return img.ExtractArea((img.Width()-2000)/2, (img.Height()-1500)/2, 2000, 1500)
			}},
		{"crop-smart", &Crop{Width: 2000, Height: 1500, Gravity: "smart"}, nil,
			func(img *vips.ImageRef) error { return img.SmartCrop(2000, 1500, vips.InterestingAttention) }},
		{"rotate-90", &Rotate{Angle: 90, Background: "#000000"}, nil,
			func(img *vips.ImageRef) error { return img.Rotate(vips.Angle90) }},
		{"rotate-12", &Rotate{Angle: 12, Background: "#000000"}, nil,
			func(img *vips.ImageRef) error {
				return img.Similarity(1, 12, &vips.ColorRGBA{A: 255}, 0, 0, 0, 0)
			}},
		{"flip", &Flip{Direction: "horizontal"}, nil,
			func(img *vips.ImageRef) error { return img.Flip(vips.DirectionHorizontal) }},
		{"brightness", &Brightness{Factor: 1.2}, nil, labLinear([]float64{1.2, 1, 1}, []float64{0, 0, 0})},
		{"contrast", &Contrast{Factor: 1.3}, nil, labLinear([]float64{1.3, 1, 1}, []float64{-15, 0, 0})},
		{"saturation", &Saturation{Factor: 1.3}, nil, labLinear([]float64{1, 1.3, 1.3}, []float64{0, 0, 0})},
		{"gamma", &Gamma{Factor: 1.5}, nil, func(img *vips.ImageRef) error { return img.Gamma(1.5) }},
		{"recolor", &Recolor{Hue: 30, Mode: "none", Tint: "#ff8800", Strength: 0.2}, nil,
			func(img *vips.ImageRef) error {
				m := (&Recolor{Hue: 30, Mode: "none", Tint: "#ff8800", Strength: 0.2}).labMap()
				if err := img.ToColorSpace(vips.InterpretationLAB); err != nil {
					return err
				}
				if err := img.Recomb([][]float64{m.m[0][:], m.m[1][:], m.m[2][:]}); err != nil {
					return err
				}
				if err := img.Linear([]float64{1, 1, 1}, m.off[:]); err != nil {
					return err
				}
				return img.ToColorSpace(vips.InterpretationSRGB)
			}},
		{"blur", &Blur{Sigma: 4}, nil, func(img *vips.ImageRef) error { return img.GaussianBlur(4) }},
		{"sharpen", &Sharpen{Sigma: 1, Amount: 1}, nil, func(img *vips.ImageRef) error { return img.Sharpen(1, 2, 3) }},
		{"watermark-text", &Watermark{Text: "© pixmill 2026", Color: "#ffffff", Opacity: 0.5, Gravity: "south-east", Scale: 0.25}, nil,
			func(img *vips.ImageRef) error {
				size := min(img.Width(), img.Height()) / 20
				return img.Label(&vips.LabelParams{
					Text: "© pixmill 2026", Font: "sans bold", Opacity: 0.5, Color: vips.Color{R: 255, G: 255, B: 255},
					Width: vips.ValueOf(float64(img.Width() / 2)), Height: vips.ValueOf(float64(size)),
					OffsetX: vips.ValueOf(float64(img.Width() / 2)), OffsetY: vips.ValueOf(float64(img.Height() - 2*size)),
				})
			}},
		{"watermark-image", &Watermark{Image: logoID, Color: "#ffffff", Opacity: 0.5, Gravity: "south-east", Scale: 0.25}, nil,
			func(img *vips.ImageRef) error {
				w := img.Width() / 4
				ov, err := vips.LoadThumbnailFromBuffer(logoPNG, w, w, vips.InterestingNone, vips.SizeBoth, nil)
				if err != nil {
					return err
				}
				defer ov.Close()
				if err := ov.Linear([]float64{1, 1, 1, 0.5}, []float64{0, 0, 0, 0}); err != nil {
					return err
				}
				if err := img.Composite(ov, vips.BlendModeOver, img.Width()-w-50, img.Height()-w-50); err != nil {
					return err
				}
				return img.Cast(vips.BandFormatUchar)
			}},
		{"redeye", &Redeye{}, nil, nil},
		{"redeye-regions", &Redeye{Regions: []Box{{X: W / 3, Y: H / 3, Width: 240, Height: 140}, {X: W / 2, Y: H / 3, Width: 240, Height: 140}}}, nil, nil},
		{"whiten_teeth", &WhitenTeeth{Region: Box{X: W/2 - 300, Y: H/2 - 150, Width: 600, Height: 300}, Strength: 0.5}, nil, nil},
	}
	for _, c := range cases {
		b.Run(c.name+"/pixmill", func(b *testing.B) {
			if w, ok := c.op.(*Watermark); ok && w.Image != "" {
				if err := w.Provide(logoID, logoPNG); err != nil {
					b.Fatal(err)
				}
			}
			ops := []Op{c.op}
			start := cpuTime()
			for b.Loop() {
				if _, err := Process(context.Background(), src, ops, Output{Format: "jpeg", Strip: true}); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
		})
		b.Run(c.name+"/vips", func(b *testing.B) {
			start := cpuTime()
			for b.Loop() {
				var img *vips.ImageRef
				var err error
				if c.load != nil {
					img, err = c.load(src)
				} else if img, err = vips.LoadImageFromBuffer(src, &vips.ImportParams{}); err == nil {
					err = img.AutoRotate()
				}
				if err != nil {
					b.Fatal(err)
				}
				if c.edit != nil {
					if err := c.edit(img); err != nil {
						b.Fatal(err)
					}
				}
				if err := img.RemoveMetadata(); err != nil {
					b.Fatal(err)
				}
				p := vips.NewJpegExportParams()
				p.Quality = DefaultQuality
				if _, _, err := img.ExportJpeg(p); err != nil {
					b.Fatal(err)
				}
				img.Close()
			}
			reportCPU(b, start)
		})
	}
}

// cpuTime is the CPU time the process has used, in all its threads. On a
// shared machine it measures the work done, where ns/op also counts the
// time spent waiting for other processes' turn on the cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the CPU time per op since start, in milliseconds.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
}

// labLinear is a colour op done the direct way: to CIELAB, a linear map of
// L*, a* and b*, back to sRGB.
func labLinear(mul, add []float64) func(*vips.ImageRef) error {
	return func(img *vips.ImageRef) error {
		if err := img.ToColorSpace(vips.InterpretationLAB); err != nil {
			return err
		}
		if err := img.Linear(mul, add); err != nil {
			return err
		}
		return img.ToColorSpace(vips.InterpretationSRGB)
	}
}
