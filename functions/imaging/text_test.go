package imaging

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestTextFromManyGoroutines: watermark tasks that draw text at once in
// several goroutines each get the same picture as one drawn alone, and the
// process survives. Before text was drawn on one thread at a fixed dpi,
// this crashed the test binary with SIGFPE inside Pango within seconds.
func TestTextFromManyGoroutines(t *testing.T) {
	src := encodePNG(t, stripes(240, 160, rgba(40, 40, 50)))
	// Many sizes: each new size makes Pango look fonts up again, on its
	// helper threads, which is where the crash was.
	var sizes []int
	for size := 8; size <= 60; size++ {
		sizes = append(sizes, size)
	}
	ops := make([]*Watermark, len(sizes))
	want := make([][]byte, len(sizes))
	for i, size := range sizes {
		ops[i] = &Watermark{Text: fmt.Sprintf("© pixmill %d", size), FontSize: size, Color: "#ffffff", Opacity: 1, Gravity: "centre", Scale: 0.25}
		want[i] = process(t, src, Output{Format: "png"}, ops[i]).Bytes
	}
	const goroutines, each = 6, 100
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*each)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range each {
				i := (g + n) % len(sizes)
				res, err := Process(context.Background(), src, []Op{ops[i]}, Output{Format: "png"})
				switch {
				case err != nil:
					errs <- err
				case !bytes.Equal(res.Bytes, want[i]):
					errs <- fmt.Errorf("font size %d: the picture differs from the one drawn alone", sizes[i])
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestTextMaskFits: the line is as large as the box allows and no larger,
// whichever of width and height bounds it.
func TestTextMaskFits(t *testing.T) {
	for _, tt := range []struct {
		text          string
		width, height int
		wantBound     string // "height" or "width"
	}{
		{"Mg", 400, 40, "height"},
		{"Mg", 400, 120, "height"},
		{"a much longer line of text", 300, 100, "width"},
		{"a much longer line of text", 3000, 100, "height"},
	} {
		mask, err := textMask(tt.text, tt.width, tt.height)
		if err != nil {
			t.Fatalf("%q in %d×%d: %v", tt.text, tt.width, tt.height, err)
		}
		var w, h int
		for y := range tt.height {
			for x := range tt.width {
				if mask[y*tt.width+x] != 0 {
					w, h = max(w, x+1), max(h, y+1)
				}
			}
		}
		var fill float64
		if tt.wantBound == "height" {
			fill = float64(h) / float64(tt.height)
		} else {
			fill = float64(w) / float64(tt.width)
		}
		if w == 0 || fill < 0.85 {
			t.Errorf("%q in %d×%d: ink %d×%d fills %.0f%% of the %s, want at least 85%%", tt.text, tt.width, tt.height, w, h, 100*fill, tt.wantBound)
		}
	}
	mask, err := textMask("   ", 100, 30)
	if err != nil || bytes.Count(mask, []byte{0}) != len(mask) {
		t.Errorf("spaces: err %v, %d of %d pixels inked; want no ink and no error", err, len(mask)-bytes.Count(mask, []byte{0}), len(mask))
	}
}
