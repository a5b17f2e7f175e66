// Package faces finds frontal faces and eyes in a grey picture, for the
// edits that must know where a face is before they look for anything in
// it (automatic red-eye). It runs two of OpenCV's trained Haar cascades,
// haarcascade_frontalface_alt2 (Lienhart's) and haarcascade_eye
// (Hameed's), with an evaluator of its own in plain Go: integral images,
// a pyramid of sizes 20 % apart, and the grouping of overlapping windows.
// The cascades are embedded, converted from Debian's opencv-data package
// (see cascades/LICENSE, Intel's licence for them), so nothing needs to be
// installed where the code runs.
//
// A search walks every window position at every size from minSide pixels
// up to the picture, so its cost grows with the picture's area: callers
// shrink a picture first and give a smallest size (imaging searches a copy
// at most 1143 pixels on a side for faces from 3.5 % of it) and scale what
// is found back up. A Search's Keep skips windows the caller has no use
// for before the cascade runs on them (imaging keeps only faces with red
// where the eyes are), and levels of the pyramid where it keeps none are
// not built. It is safe for concurrent use.
package faces
