package imaging

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkPortrait runs the two face ops on an 18 MP portrait, a phone
// photo's size: scikit-image's astronaut enlarged 8.3 times (4250×4250),
// with red pupils painted in, saved as JPEG. "decode+encode" is the same
// picture through Process with no op, what every edit costs anyway; the
// issue's budget for red-eye is a quarter of it on top. Without
// PIXMILL_SKIMAGE the benchmark is skipped.
func BenchmarkPortrait(b *testing.B) {
	if os.Getenv(envSkimage) == "" {
		b.Skipf("%s is not set; run scripts/fetch-skimage.sh DIR and set %s=DIR", envSkimage, envSkimage)
	}
	const scale = 8.3
	astronaut, err := os.ReadFile(os.Getenv(envSkimage) + "/astronaut.png")
	if err != nil {
		b.Fatal(err)
	}
	big := process(b, astronaut, Output{Format: "png"}, &Resize{Scale: scale, Kernel: "lanczos3"}).Bytes
	// redPupils scales the 1× irises by a whole number; paint at 1×-sized
	// irises enlarged by 8.3 instead.
	irises := make([]disc, len(astronautIrises))
	for i, d := range astronautIrises {
		irises[i] = disc{d.x * scale, d.y * scale, d.r * scale}
	}
	painted, _ := redPupils(b, big, irises, 1, 0.8)
	src := process(b, painted, Output{Format: "jpeg", Quality: 85}).Bytes
	mouth := astronautMouthBox
	box := Box{X: int(float64(mouth.X) * scale), Y: int(float64(mouth.Y) * scale), Width: int(float64(mouth.Width) * scale), Height: int(float64(mouth.Height) * scale)}
	for _, c := range []struct {
		name string
		ops  []Op
	}{
		{"decode+encode", nil},
		{"redeye", []Op{&Redeye{}}},
		{"whiten_teeth", []Op{&WhitenTeeth{Region: box, Strength: 0.6}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			start := cpuTime()
			for b.Loop() {
				if _, err := Process(context.Background(), src, c.ops, Output{Format: "jpeg", Strip: true}); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
		})
	}
}

// BenchmarkRedHeavy runs red-eye where red is everywhere, the case where
// the red gate in front of the face search helps least: mate-backgrounds'
// LadyBird (a red ladybird on leaves, 2560×1600) enlarged 2.1 times to
// 18 MP (5376×3360) and saved as JPEG q85, beside decode + encode in the
// same run. Without PIXMILL_PHOTOS it is skipped.
func BenchmarkRedHeavy(b *testing.B) {
	dir := os.Getenv("PIXMILL_PHOTOS")
	if dir == "" {
		b.Skip("PIXMILL_PHOTOS is not set; run scripts/fetch-photos.sh")
	}
	orig, err := os.ReadFile(filepath.Join(dir, "LadyBird.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	src := process(b, orig, Output{Format: "jpeg", Quality: 85}, &Resize{Scale: 2.1, Kernel: "lanczos3"}).Bytes
	for _, c := range []struct {
		name string
		ops  []Op
	}{
		{"decode+encode", nil},
		{"redeye", []Op{&Redeye{}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			start := cpuTime()
			for b.Loop() {
				if _, err := Process(context.Background(), src, c.ops, Output{Format: "jpeg", Strip: true}); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
		})
	}
}
