package imaging

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"testing"
)

// Synthetic pictures with known ground truth for red eye and teeth
// whitening: faces drawn from ellipses and discs, antialiased by 4×4
// supersampling, with every sample labelled by the shape that painted it, so
// the tests know which pixels are pupil, glint, lip, gum or tooth and which
// are only partly so.

// A shape is painted over what was drawn before it.
type shape struct {
	kind   string // "pupil", "glint", "lips", "teeth", "gums", "dot", "shirt", …
	id     int    // which pupil, for the pupils
	bounds image.Rectangle
	inside func(x, y float64) bool
	paint  func(x, y float64) [3]float64 // sRGB 0–255, may vary across the shape
}

// scene is a picture being drawn and, once rendered, its truth.
type scene struct {
	w, h   int
	shapes []shape
	pupils []pupilTruth
	img    *image.RGBA
	// labels holds, per pixel, the index of the shape of each of its 16
	// samples; a pixel is pure when all 16 are the same shape.
	labels [][16]uint16
}

type disc struct{ x, y, r float64 }

func (d disc) has(x, y float64) bool { return (x-d.x)*(x-d.x)+(y-d.y)*(y-d.y) <= d.r*d.r }

func (d disc) bounds() image.Rectangle {
	return image.Rect(int(d.x-d.r)-1, int(d.y-d.r)-1, int(d.x+d.r)+2, int(d.y+d.r)+2)
}

type ellipse struct{ x, y, rx, ry float64 }

func (e ellipse) has(x, y float64) bool {
	dx, dy := (x-e.x)/e.rx, (y-e.y)/e.ry
	return dx*dx+dy*dy <= 1
}

func (e ellipse) bounds() image.Rectangle {
	return image.Rect(int(e.x-e.rx)-1, int(e.y-e.ry)-1, int(e.x+e.rx)+2, int(e.y+e.ry)+2)
}

type pupilTruth struct {
	pupil, glint disc
}

func flat(c color.RGBA) func(x, y float64) [3]float64 {
	return func(float64, float64) [3]float64 { return [3]float64{float64(c.R), float64(c.G), float64(c.B)} }
}

func newScene(w, h int, wall func(x, y float64) [3]float64) *scene {
	s := &scene{w: w, h: h}
	s.add(shape{kind: "wall", bounds: image.Rect(0, 0, w, h), inside: func(x, y float64) bool { return true }, paint: wall})
	return s
}

func (s *scene) add(sh shape) { s.shapes = append(s.shapes, sh) }

// face describes one face: its pupil radius sets every other size, in the
// proportions of a real face with dilated pupils (iris twice the pupil, the
// pupils 10.6 iris radii apart, the face 20 iris radii wide).
type face struct {
	x, y   float64 // between the eyes
	pupilR float64
	skin   color.RGBA
	iris   color.RGBA
	red    color.RGBA // the pupils; the zero colour for dark, normal pupils
	smile  bool       // an open smile showing gums and teeth
	teeth  color.RGBA // the zero colour for toothRGB
}

var (
	skinLight  = color.RGBA{233, 196, 170, 255}
	skinMedium = color.RGBA{198, 145, 110, 255}
	skinDark   = color.RGBA{118, 80, 58, 255}
	skinOlive  = color.RGBA{210, 172, 132, 255}

	irisBrown = color.RGBA{112, 72, 46, 255}
	irisBlue  = color.RGBA{92, 124, 156, 255}
	irisGreen = color.RGBA{96, 122, 80, 255}
	irisDark  = color.RGBA{62, 42, 32, 255}

	redPupil  = color.RGBA{205, 35, 30, 255}
	redPupil2 = color.RGBA{184, 30, 42, 255}
	redPupil3 = color.RGBA{226, 72, 64, 255}
	redPupil4 = color.RGBA{160, 24, 26, 255}

	lipColour   = color.RGBA{176, 70, 78, 255}
	gumColour   = color.RGBA{206, 112, 120, 255}
	toothRGB    = color.RGBA{226, 211, 168, 255}
	mouthColour = color.RGBA{62, 24, 30, 255}
	shirtRed    = color.RGBA{198, 26, 36, 255}
	dotRed      = color.RGBA{214, 32, 30, 255}
)

// addFace draws f: skin, brows, eyes (sclera, iris with texture, pupil,
// glint), lips and, for a smile, gums and two rows of teeth.
func (s *scene) addFace(f face) {
	ri := 2 * f.pupilR
	skin := f.skin
	fc := ellipse{f.x, f.y + 2.5*ri, 9.5 * ri, 12.5 * ri}
	s.add(shape{kind: "skin", bounds: fc.bounds(), inside: fc.has, paint: func(x, y float64) [3]float64 {
		// light from the upper left
		k := 1.04 - 0.08*(x-fc.x)/fc.rx - 0.06*(y-fc.y)/fc.ry
		return [3]float64{float64(skin.R) * k, float64(skin.G) * k, float64(skin.B) * k}
	}})
	for _, side := range []float64{-1, 1} {
		ex, ey := f.x+side*5.3*ri, f.y
		brow := ellipse{ex, ey - 2.1*ri, 2.3 * ri, 0.45 * ri}
		s.add(shape{kind: "brow", bounds: brow.bounds(), inside: brow.has, paint: flat(color.RGBA{70, 50, 40, 255})})
		sclera := ellipse{ex, ey, 2.4 * ri, 0.95 * ri}
		s.add(shape{kind: "sclera", bounds: sclera.bounds(), inside: sclera.has, paint: flat(color.RGBA{236, 234, 228, 255})})
		iris := disc{ex, ey, ri}
		ic := f.iris
		s.add(shape{kind: "iris", bounds: iris.bounds(), inside: func(x, y float64) bool { return iris.has(x, y) && sclera.has(x, y) },
			paint: func(x, y float64) [3]float64 {
				th := math.Atan2(y-ey, x-ex)
				d := math.Hypot(x-ex, y-ey) / ri
				k := (0.9 + 0.1*math.Sin(11*th)) * (1.1 - 0.35*d*d)
				return [3]float64{float64(ic.R) * k, float64(ic.G) * k, float64(ic.B) * k}
			}})
		p := disc{ex, ey, f.pupilR}
		pc := f.red
		if pc == (color.RGBA{}) {
			pc = color.RGBA{22, 18, 18, 255}
		}
		s.add(shape{kind: "pupil", id: len(s.pupils), bounds: p.bounds(), inside: p.has, paint: func(x, y float64) [3]float64 {
			// brighter in the middle, as the flash's reflection is
			k := 1.05 - 0.15*((x-ex)*(x-ex)+(y-ey)*(y-ey))/(f.pupilR*f.pupilR)
			return [3]float64{math.Min(255, float64(pc.R)*k), float64(pc.G) * k, float64(pc.B) * k}
		}})
		// The glint: up and to the left, centred on a pixel centre so that
		// even a small one has a pixel wholly inside it.
		gr := math.Max(1.3, 0.28*f.pupilR)
		g := disc{math.Floor(ex-0.35*f.pupilR) + 0.5, math.Floor(ey-0.35*f.pupilR) + 0.5, gr}
		s.add(shape{kind: "glint", id: len(s.pupils), bounds: g.bounds(), inside: g.has, paint: flat(color.RGBA{252, 252, 250, 255})})
		if f.red != (color.RGBA{}) {
			s.pupils = append(s.pupils, pupilTruth{pupil: p, glint: g})
		}
	}
	my := f.y + 7*ri
	lips := ellipse{f.x, my, 4.4 * ri, 1.5 * ri}
	s.add(shape{kind: "lips", bounds: lips.bounds(), inside: lips.has, paint: flat(lipColour)})
	if !f.smile {
		line := ellipse{f.x, my, 4 * ri, 0.12 * ri}
		s.add(shape{kind: "mouth", bounds: line.bounds(), inside: line.has, paint: flat(mouthColour)})
		return
	}
	open := ellipse{f.x, my, 3.6 * ri, 0.95 * ri}
	s.add(shape{kind: "mouth", bounds: open.bounds(), inside: open.has, paint: flat(mouthColour)})
	gums := func(x, y float64) bool { return open.has(x, y) && y < my-0.55*ri }
	s.add(shape{kind: "gums", bounds: open.bounds(), inside: gums, paint: flat(gumColour)})
	// Teeth: an upper and a lower row, each tooth a rectangle with a dark
	// gap to its neighbours, a little lighter towards the front.
	tw := 0.9 * ri
	tc := f.teeth
	if tc == (color.RGBA{}) {
		tc = toothRGB
	}
	for row, top := range []float64{my - 0.55*ri, my + 0.12*ri} {
		bottom := top + []float64{0.62, 0.5}[row]*ri
		for i := -4; i < 4; i++ {
			x0 := f.x + float64(i)*tw + 0.06*ri
			x1 := x0 + tw - 0.12*ri
			in := func(x, y float64) bool { return x >= x0 && x < x1 && y >= top && y < bottom && open.has(x, y) }
			k := 1.0 - 0.025*math.Abs(float64(i)+0.5)
			s.add(shape{kind: "teeth", bounds: image.Rect(int(x0)-1, int(top)-1, int(x1)+2, int(bottom)+2), inside: in,
				paint: func(x, y float64) [3]float64 {
					return [3]float64{float64(tc.R) * k, float64(tc.G) * k, float64(tc.B) * k}
				}})
		}
	}
}

// addDot draws a red disc: on the wall, on a cheek, wherever no eye is.
func (s *scene) addDot(x, y, r float64) {
	d := disc{x, y, r}
	s.add(shape{kind: "dot", bounds: d.bounds(), inside: d.has, paint: flat(dotRed)})
}

// addShirt draws a red shirt across the bottom of the picture.
func (s *scene) addShirt(top float64) {
	in := func(x, y float64) bool {
		return y >= top+0.0008*(x-float64(s.w)/2)*(x-float64(s.w)/2)
	}
	s.add(shape{kind: "shirt", bounds: image.Rect(0, int(top)-1, s.w, s.h), inside: in, paint: func(x, y float64) [3]float64 {
		k := 1 - 0.2*math.Abs(math.Sin(x/37)) // folds
		return [3]float64{float64(shirtRed.R) * k, float64(shirtRed.G) * k, float64(shirtRed.B) * k}
	}})
}

// render draws the shapes with 4×4 samples per pixel.
func (s *scene) render() {
	const n = 4
	s.labels = make([][16]uint16, s.w*s.h)
	pic := image.Rect(0, 0, s.w, s.h)
	for i, sh := range s.shapes {
		b := sh.bounds.Intersect(pic)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				for k := range n * n {
					sx, sy := float64(x)+(float64(k%n)+0.5)/n, float64(y)+(float64(k/n)+0.5)/n
					if sh.inside(sx, sy) {
						s.labels[y*s.w+x][k] = uint16(i)
					}
				}
			}
		}
	}
	s.img = image.NewRGBA(pic)
	for y := range s.h {
		for x := range s.w {
			var sum [3]float64
			for k, l := range s.labels[y*s.w+x] {
				sx, sy := float64(x)+(float64(k%n)+0.5)/n, float64(y)+(float64(k/n)+0.5)/n
				c := s.shapes[l].paint(sx, sy)
				for j := range sum {
					sum[j] += c[j]
				}
			}
			s.img.SetRGBA(x, y, color.RGBA{clip8(sum[0] / 16), clip8(sum[1] / 16), clip8(sum[2] / 16), 255})
		}
	}
}

func clip8(v float64) uint8 { return uint8(math.Round(math.Min(math.Max(v, 0), 255))) }

// touched lists the pixels any sample of which belongs to a shape of kind.
func (s *scene) touched(kind string) []image.Point {
	var pts []image.Point
	for i, ls := range s.labels {
		for _, l := range ls {
			if s.shapes[l].kind == kind {
				pts = append(pts, image.Pt(i%s.w, i/s.w))
				break
			}
		}
	}
	return pts
}

// pure lists the pixels wholly of shapes of kind, whose neighbours (of 8)
// are too, so that blur and resampling at the edges do not count.
func (s *scene) pure(kind string) []image.Point {
	all := func(x, y int) bool {
		if x < 0 || y < 0 || x >= s.w || y >= s.h {
			return false
		}
		for _, l := range s.labels[y*s.w+x] {
			if s.shapes[l].kind != kind {
				return false
			}
		}
		return true
	}
	var pts []image.Point
	for y := range s.h {
		for x := range s.w {
			ok := true
			for dy := -1; dy <= 1 && ok; dy++ {
				for dx := -1; dx <= 1 && ok; dx++ {
					ok = all(x+dx, y+dy)
				}
			}
			if ok {
				pts = append(pts, image.Pt(x, y))
			}
		}
	}
	return pts
}

// blur applies a Gaussian blur of sigma pixels, as an out-of-focus lens
// would.
func blurRGBA(img *image.RGBA, sigma float64) *image.RGBA {
	rad := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*rad+1)
	sum := 0.0
	for i := range k {
		d := float64(i - rad)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	b := img.Bounds()
	pass := func(src *image.RGBA, dx, dy int) *image.RGBA {
		dst := image.NewRGBA(b)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				var acc [3]float64
				for i, w := range k {
					sx := min(max(x+(i-rad)*dx, b.Min.X), b.Max.X-1)
					sy := min(max(y+(i-rad)*dy, b.Min.Y), b.Max.Y-1)
					o := src.PixOffset(sx, sy)
					for j := range acc {
						acc[j] += w * float64(src.Pix[o+j])
					}
				}
				o := dst.PixOffset(x, y)
				dst.Pix[o], dst.Pix[o+1], dst.Pix[o+2], dst.Pix[o+3] = clip8(acc[0]), clip8(acc[1]), clip8(acc[2]), 255
			}
		}
		return dst
	}
	return pass(pass(img, 1, 0), 0, 1)
}

// noisyJPEG adds sensor-like noise and encodes at quality 85, with the 4:2:0
// chroma subsampling every camera uses, which smears a small pupil's red
// over its neighbours.
func noisyJPEG(t testing.TB, img *image.RGBA, seed uint64) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	n := image.NewRGBA(img.Bounds())
	for i := range img.Pix {
		if i%4 == 3 {
			n.Pix[i] = 255
			continue
		}
		n.Pix[i] = clip8(float64(img.Pix[i]) + rng.NormFloat64()*4)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, n, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func wall(x, y float64) [3]float64 {
	return [3]float64{150 + 0.03*y, 160 + 0.02*x/3, 172 - 0.02*y}
}

// faceScene is one of the red-eye test pictures: its name, its bytes as
// the test hands them to Process, and its truth.
type faceScene struct {
	name string
	src  []byte
	s    *scene
}

// faceScenes draws the red-eye test pictures: pupils of radius 3 to 14
// pixels, red of several shades, on four skin tones and four iris colours;
// sharp, blurred (σ 1) and noisy JPEG; and in each, red things that are not
// eyes: lips, gums, a red shirt, a red dot on the wall and one on a cheek or
// between the eyes; and a face whose eyes are not red.
func faceScenes(t testing.TB) []faceScene {
	t.Helper()
	var out []faceScene

	s := newScene(900, 620, wall)
	s.addShirt(560)
	s.addFace(face{x: 230, y: 200, pupilR: 4, skin: skinLight, iris: irisBlue, red: redPupil, smile: true})
	s.addFace(face{x: 620, y: 170, pupilR: 8, skin: skinMedium, iris: irisBrown, red: redPupil2})
	s.addDot(840, 60, 6)
	s.addDot(182, 236, 4) // on the first face's cheek
	s.render()
	out = append(out, faceScene{"sharp", encodePNG(t, s.img), s})

	s = newScene(900, 620, wall)
	s.addShirt(570)
	s.addFace(face{x: 250, y: 200, pupilR: 5, skin: skinDark, iris: irisDark, red: redPupil, smile: true})
	s.addFace(face{x: 640, y: 190, pupilR: 7, skin: skinOlive, iris: irisGreen, red: redPupil3})
	s.addDot(60, 560, 7)
	s.addDot(714, 240, 5) // on the second face's cheek
	s.addDot(250, 186, 4) // a bindi, between the first face's eyes
	s.render()
	blurred := *s
	blurred.img = blurRGBA(s.img, 1)
	out = append(out, faceScene{"blurred", encodePNG(t, blurred.img), &blurred})

	s = newScene(900, 620, wall)
	s.addShirt(575)
	s.addFace(face{x: 180, y: 180, pupilR: 3.5, skin: skinMedium, iris: irisBrown, red: redPupil4, smile: true})
	s.addFace(face{x: 560, y: 170, pupilR: 6, skin: skinLight, iris: irisGreen, red: redPupil})
	s.addDot(860, 420, 5)
	s.addDot(625, 214, 4) // on the second face's cheek
	s.render()
	out = append(out, faceScene{"jpeg", noisyJPEG(t, s.img, 3), s})

	s = newScene(1180, 420, wall)
	s.addShirt(390)
	for i, f := range []face{
		{pupilR: 3, skin: skinLight, iris: irisBrown, red: redPupil2},
		{pupilR: 3.5, skin: skinDark, iris: irisDark, red: redPupil},
		{pupilR: 3, skin: skinOlive, iris: irisBlue, red: redPupil3, smile: true},
		{pupilR: 4, skin: skinMedium, iris: irisGreen, red: redPupil4},
		{pupilR: 3.5, skin: skinMedium, iris: irisBrown, smile: true}, // no red eye: must stay as it is
		{pupilR: 3, skin: skinLight, iris: irisDark, red: redPupil},
	} {
		f.x, f.y = 110+float64(i)*195, 150
		s.addFace(f)
	}
	s.addDot(1140, 30, 4)
	s.render()
	out = append(out, faceScene{"group", noisyJPEG(t, s.img, 5), s})

	s = newScene(820, 560, wall)
	s.addFace(face{x: 410, y: 150, pupilR: 14, skin: skinOlive, iris: irisBlue, red: redPupil3})
	s.addDot(50, 500, 9)
	s.render()
	out = append(out, faceScene{"close-up", encodePNG(t, s.img), s})
	return out
}

// teethScene draws a smiling mouth, close up, for teeth whitening, with the
// box a person would draw around it: pale skin and cool, flash-lit teeth.
func teethScene() (*scene, Box) {
	return teethSceneLit(skinLight, toothRGB, [3]float64{80, 3, 20})
}

// teethSceneWarm is the same mouth in warm indoor light: the teeth as red
// as a* 11, the skin redder still.
func teethSceneWarm() (*scene, Box) {
	r, g, b := fromLab(80, 11, 26)
	return teethSceneLit(skinMedium, color.RGBA{r, g, b, 255}, [3]float64{78, 11, 26})
}

// teethSceneLit draws the mouth with the given skin and teeth.
//
// Under the lower lip, inside the box, lies a patch of skin in shadow that
// is as pale and as yellow as a tooth (pale, of CIELAB colour pale), as
// under a real chin: only where it lies, beside skin rather than lips,
// tells it apart.
func teethSceneLit(skin, teeth color.RGBA, pale [3]float64) (*scene, Box) {
	s := newScene(640, 420, wall)
	f := face{x: 320, y: -20, pupilR: 11, skin: skin, iris: irisBrown, smile: true, teeth: teeth}
	s.addFace(f)
	ri := 2 * f.pupilR
	my := f.y + 7*ri
	r, g, b := fromLab(pale[0], pale[1], pale[2])
	shadow := ellipse{f.x - 3*ri, my + 1.75*ri, 1.2 * ri, 0.2 * ri}
	s.add(shape{kind: "shadow", bounds: shadow.bounds(), inside: shadow.has, paint: flat(color.RGBA{r, g, b, 255})})
	s.render()
	return s, Box{X: int(f.x - 5*ri), Y: int(my - 2*ri), Width: int(10 * ri), Height: int(4 * ri)}
}
