package imaging

import (
	"context"
	"math"

	"github.com/pixmill/pixmill/events/fault"
)

// MaxPreviewSize bounds Preview's size: a preview is for a screen, and
// anything larger is the batch's work, not a preview's.
const MaxPreviewSize = 2048

// Preview makes what Process would make of src with ops and out, shrunk so
// that its longer side is at most size pixels, at a fraction of the cost:
// the picture is decoded already shrunk (shrink-on-load), and every op
// parameter given in the original's pixels (crop areas, red-eye regions,
// the teeth box, thumbnail and resize sizes, blur and sharpen sigmas, font
// sizes) is scaled by the same factor, so that the preview looks like the
// full result made small. Parameters given as shares of the picture (blur
// and sharpen size, watermark scale, the default font size) need nothing.
//
// A result that is already at most size pixels is made as Process makes it.
// Where a scaled parameter falls under the op's minimum (a 6-pixel font, a
// 0.3-pixel sharpen), the minimum is used: at that size the difference is
// below what a screen shows.
func Preview(ctx context.Context, src []byte, ops []Op, out Output, size int) (*Result, error) {
	info, err := Probe(src)
	if err != nil {
		return nil, err
	}
	return PreviewOf(ctx, src, info.Width, info.Height, ops, out, size)
}

// PreviewOf is Preview of a w×h original from src, which is the original
// or a smaller copy of it, upright and of the same shape, whose longer side
// is at least PreviewNeeds pixels (see [ProxySize]). Where src is too small
// the preview comes out smaller than size.
func PreviewOf(ctx context.Context, src []byte, w, h int, ops []Op, out Output, size int) (*Result, error) {
	s, err := previewScale(w, h, ops, size)
	if err != nil {
		return nil, err
	}
	if s >= 1 {
		return Process(ctx, src, ops, out)
	}
	return Process(ctx, src, scaledOps(w, h, ops, s), out)
}

// PreviewNeeds is the longer side, in pixels, of the smallest copy of a w×h
// original that PreviewOf can make the preview from; w or h itself when
// only the original will do.
func PreviewNeeds(w, h int, ops []Op, size int) (int, error) {
	s, err := previewScale(w, h, ops, size)
	if err != nil || s >= 1 {
		return max(w, h), err
	}
	return int(math.Ceil(float64(max(w, h)) * s)), nil
}

// previewScale is the factor between the preview and the full result of
// ops on a w×h original.
func previewScale(w, h int, ops []Op, size int) (float64, error) {
	if size < 16 || size > MaxPreviewSize {
		return 0, fault.New(fault.InvalidArgument, "size must be between 16 and %d pixels, got %d", MaxPreviewSize, size)
	}
	if w < 1 || h < 1 {
		return 0, fault.New(fault.InvalidArgument, "the original's size must be positive, got %dx%d", w, h)
	}
	for i, op := range ops {
		if op == nil {
			return 0, fault.New(fault.InvalidArgument, "op %d of %d is missing", i+1, len(ops))
		}
		if err := validateOp(op); err != nil {
			return 0, err
		}
	}
	rw, rh := resultSize(w, h, ops)
	return float64(size) / float64(max(rw, rh)), nil
}

// ProxySize is the longer side of the copy of an original that a gateway
// keeps for previews (see [Proxy]): any preview of up to MaxPreviewSize
// pixels of an edit that keeps the whole picture can be made from it.
const ProxySize = MaxPreviewSize

// Proxy makes the copy of an original that previews are made from: upright,
// in sRGB, at most ProxySize pixels on its longer side, a baseline JPEG of
// high quality, which decodes in a fraction of the time of a large or
// progressive original.
func Proxy(ctx context.Context, src []byte) (*Result, error) {
	return Process(ctx, src, []Op{&Thumbnail{Width: ProxySize, Height: ProxySize, Fit: "fit"}}, Output{Format: "jpeg", Quality: 92, Strip: true})
}

// resultSize is the size of the picture ops make of a w×h one, computed
// from the ops' parameters alone.
func resultSize(w, h int, ops []Op) (int, int) {
	for _, op := range ops {
		w, h = sizeAfter(op, w, h)
	}
	return w, h
}

// sizeAfter is the size of the picture op makes of a w×h one. Ops not
// named here keep the size.
func sizeAfter(op Op, w, h int) (int, int) {
	switch op := op.(type) {
	case *Thumbnail:
		return op.sizeOf(w, h)
	case *Resize:
		return op.size(w, h)
	case *Crop:
		return min(op.Width, w), min(op.Height, h)
	case *Rotate:
		a := math.Mod(op.Angle, 360)
		if a < 0 {
			a += 360
		}
		switch a {
		case 0, 180:
			return w, h
		case 90, 270:
			return h, w
		}
		r := a * math.Pi / 180
		c, s := math.Abs(math.Cos(r)), math.Abs(math.Sin(r))
		fw, fh := float64(w), float64(h)
		return int(math.Ceil(fw*c + fh*s)), int(math.Ceil(fw*s + fh*c))
	}
	return w, h
}

// sizeOf is the size libvips' thumbnail makes of a w×h picture for t.
func (t *Thumbnail) sizeOf(w, h int) (int, int) {
	bw, bh, _, _ := t.box()
	sx, sy := float64(bw)/float64(w), float64(bh)/float64(h)
	f := min(sx, sy)
	if t.Fit != "fit" {
		f = max(sx, sy)
	}
	if !t.Upscale {
		f = min(f, 1)
	}
	tw, th := roundSide(float64(w)*f), roundSide(float64(h)*f)
	if t.Fit != "fit" {
		tw, th = min(tw, bw), min(th, bh)
	}
	return tw, th
}

// scaledOps returns ops for a picture s times the size of the w×h
// original: a first op that shrinks it while it is decoded, then each op
// with its pixel parameters scaled. A leading thumbnail is that first op
// already, scaled.
func scaledOps(w, h int, ops []Op, s float64) []Op {
	var out []Op
	sw, sh := w, h // the preview's size before each op
	if t, ok := firstThumbnail(ops); !ok || !t.shrinks(w, h) {
		sw, sh = roundSide(float64(w)*s), roundSide(float64(h)*s)
		out = append(out, &Thumbnail{Width: sw, Height: sh, Fit: "fit"})
	}
	for _, op := range ops {
		op = scaleOp(op, s, sw, sh)
		sw, sh = sizeAfter(op, sw, sh)
		out = append(out, op)
	}
	return out
}

// shrinks is whether t makes a w×h picture smaller rather than keeping its
// size (a box larger than the picture, without Upscale): only then is t's
// box, scaled, the same edit on the original as on a picture s times its
// size, and able to shrink while decoding for the preview.
func (t *Thumbnail) shrinks(w, h int) bool {
	bw, bh, _, _ := t.box()
	sx, sy := float64(bw)/float64(w), float64(bh)/float64(h)
	if t.Fit == "fit" {
		return min(sx, sy) < 1
	}
	return max(sx, sy) < 1
}

func firstThumbnail(ops []Op) (*Thumbnail, bool) {
	if len(ops) == 0 {
		return nil, false
	}
	t, ok := ops[0].(*Thumbnail)
	return t, ok
}

// scaleOp returns a copy of op with its pixel parameters scaled by s, for a
// w×h picture. Ops without pixel parameters are returned as they are.
func scaleOp(op Op, s float64, w, h int) Op {
	px := func(v int) int {
		if v == 0 {
			return 0
		}
		return roundSide(float64(v) * s)
	}
	switch op := op.(type) {
	case *Thumbnail:
		c := *op
		c.Width, c.Height = px(op.Width), px(op.Height)
		return &c
	case *Resize:
		c := *op
		c.Width, c.Height = px(op.Width), px(op.Height)
		return &c
	case *Crop:
		c := *op
		c.X, c.Y = int(math.Round(float64(op.X)*s)), int(math.Round(float64(op.Y)*s))
		c.Width, c.Height = min(px(op.Width), w), min(px(op.Height), h)
		// Rounding may push the area a pixel past the edge.
		c.X, c.Y = min(c.X, w-c.Width), min(c.Y, h-c.Height)
		return &c
	case *Blur:
		c := *op
		if op.Sigma != 0 {
			c.Sigma = max(op.Sigma*s, 0.1)
		}
		return &c
	case *Sharpen:
		c := *op
		if op.Sigma != 0 {
			c.Sigma = max(op.Sigma*s, 0.3)
		}
		return &c
	case *Watermark:
		c := *op
		if op.FontSize != 0 {
			c.FontSize = max(px(op.FontSize), 6)
		}
		return &c
	case *Redeye:
		c := *op
		c.Regions = nil
		for _, b := range op.Regions {
			c.Regions = append(c.Regions, boxTimes(b, s))
		}
		return &c
	case *WhitenTeeth:
		c := *op
		c.Region = boxTimes(op.Region, s)
		return &c
	}
	return op
}

func boxTimes(b Box, s float64) Box {
	x0, y0 := math.Round(float64(b.X)*s), math.Round(float64(b.Y)*s)
	x1, y1 := math.Round(float64(b.X+b.Width)*s), math.Round(float64(b.Y+b.Height)*s)
	return Box{X: int(x0), Y: int(y0), Width: max(1, int(x1-x0)), Height: max(1, int(y1-y0))}
}
