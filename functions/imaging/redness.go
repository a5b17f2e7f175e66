package imaging

// Red-eye and teeth whitening measure colours in CIELAB: a* runs from green
// to red, b* from blue to yellow, C* = √(a*² + b*²) is chroma and h =
// atan2(b*, a*) hue. A red pupil lit by the flash off the retina is
// saturated red (a* 40 to 70) at a hue of 20° to 45°; skin is far less
// chromatic (C* around 25) at 50° to 60°, orange at 60° and beyond; lips are
// as red as pupils, which is why shape and surroundings decide, not colour.

// redness is a* less half of any yellowness: 41 for a red pupil (200,30,30),
// 28 where it blurs into a brown iris, 2 for skin (220,170,140) and for a
// brown iris, 1.5 for orange (230,120,40). Unlike a* alone it does not call
// orange red; unlike hue alone it ignores pale, barely coloured pixels.
func redness(a, b float64) float64 {
	return a - 0.5*max(b, 0)
}

// Thresholds on redness, a* and hue for the pixels of a red pupil.
const (
	redMin   = 20 // a pupil pixel: red at least this much
	redSoft  = 6  // where the feathered edge starts to count
	redChMin = 25 // and with at least this chroma
)

// mayBeRed is the cheap test in front of isRedPixel, which keeps the CIELAB
// conversion off the many pixels that cannot be red as a pupil is: a
// pupil's red is at least 1.5 times its green and 1.25 times its blue,
// while skin's is 1.3 times its green. Small enough to be inlined in the
// loop over every pixel of a picture.
func mayBeRed(r, g, b uint8) bool {
	return r >= 45 && 2*int(r) >= 3*int(g) && 4*int(r) >= 5*int(b)
}

// isRedPixel reports whether an sRGB pixel is red as a flash-lit pupil is:
// red enough, chromatic enough, and not magenta (hue above −25°).
func isRedPixel(r, g, b uint8) bool {
	if !mayBeRed(r, g, b) {
		return false
	}
	_, a, bb := toLab(r, g, b)
	return redness(a, bb) >= redMin && bb >= -0.47*a && a*a+bb*bb >= redChMin*redChMin
}

// smoothstep is 0 below lo, 1 above hi, and a smooth S between.
func smoothstep(lo, hi, x float64) float64 {
	t := min(max((x-lo)/(hi-lo), 0), 1)
	return t * t * (3 - 2*t)
}
