package imaging

import "image"

// place returns the top-left corner of a w×h area anchored at gravity g in a
// W×H picture, margin pixels in from the sides it touches. The gravities are
// "centre", the sides "north", "south", "east", "west" and the corners
// "north-east" and so on, as a compass names them.
func place(g string, W, H, w, h, margin int) image.Point {
	x, y := (W-w)/2, (H-h)/2
	switch g {
	case "north", "north-east", "north-west":
		y = margin
	case "south", "south-east", "south-west":
		y = H - h - margin
	}
	switch g {
	case "west", "north-west", "south-west":
		x = margin
	case "east", "north-east", "south-east":
		x = W - w - margin
	}
	return image.Pt(x, y)
}
