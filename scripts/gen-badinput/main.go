// Command gen-badinput writes the bad-input corpus the delivery tests upload:
// files that are broken, hostile or merely unusual, each of which pixmill
// must either process correctly or reject with a clear reason, without a
// worker dying and without losing anything else in the batch.
//
//	go run ./scripts/gen-badinput platform/stack/testdata/badinput
//
// Everything is drawn here, so the corpus is reproducible; the files are
// small enough to keep in the repository.
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"

	"github.com/davidbyttow/govips/v2/vips"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen-badinput DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fail(err)
	}
	vips.LoggingSettings(nil, vips.LogLevelError)
	vips.Startup(nil)
	defer vips.Shutdown()

	photo := quadrants(240, 160)
	good := encodeJPEG(photo)
	files := map[string][]byte{
		"empty.jpg":       {},
		"text-named.jpg":  []byte("These are my holiday notes, not a picture.\n"),
		"truncated.jpg":   good[:len(good)*2/3],
		"truncated.png":   truncate(encodePNG(photo)),
		"huge-header.png": hugeHeaderPNG(100000, 100000),
		"frames-5000.gif": manyFrames(5000),
		"drawing.svg":     []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><circle cx="50" cy="50" r="40" fill="red"/></svg>`),
		"document.pdf":    minimalPDF(),
		"cmyk.jpg":        viaVips(good, func(img *vips.ImageRef) ([]byte, error) { return cmykJPEG(img) }),
		"deep-16bit.png":  encodePNG(deep(photo)),
		"photo.webp": viaVips(good, func(img *vips.ImageRef) ([]byte, error) {
			b, _, err := img.ExportWebp(vips.NewWebpExportParams())
			return b, err
		}),
	}
	if heif := tryHEIF(good); heif != nil {
		files["photo.heic"] = heif
	}
	// The eight EXIF orientations. Each file stores the picture so that,
	// turned upright as its orientation says, the red quadrant is top left.
	for o := 1; o <= 8; o++ {
		files[fmt.Sprintf("exif-orientation-%d.jpg", o)] = withOrientation(encodeJPEG(stored(photo, o)), uint16(o))
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			fail(err)
		}
	}
	fmt.Fprintf(os.Stderr, "gen-badinput: %d files in %s\n", len(files), dir)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen-badinput:", err)
	os.Exit(1)
}

// quadrants draws red, green, blue and white quarters, top left to bottom
// right, so a test can tell which way up a picture is.
func quadrants(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	cols := [4]color.RGBA{{220, 30, 30, 255}, {30, 200, 30, 255}, {30, 30, 220, 255}, {240, 240, 240, 255}}
	for y := range h {
		for x := range w {
			q := 0
			if x >= w/2 {
				q++
			}
			if y >= h/2 {
				q += 2
			}
			img.SetRGBA(x, y, cols[q])
		}
	}
	return img
}

// stored is how a camera with the given EXIF orientation stores upright:
// the inverse of the turn a viewer applies.
func stored(up *image.RGBA, orientation int) *image.RGBA {
	b := up.Bounds()
	w, h := b.Dx(), b.Dy()
	sw, sh := w, h
	if orientation >= 5 {
		sw, sh = h, w
	}
	out := image.NewRGBA(image.Rect(0, 0, sw, sh))
	for y := range sh {
		for x := range sw {
			// (x, y) in the stored picture shows upright pixel (ux, uy).
			var ux, uy int
			switch orientation {
			case 1:
				ux, uy = x, y
			case 2:
				ux, uy = w-1-x, y
			case 3:
				ux, uy = w-1-x, h-1-y
			case 4:
				ux, uy = x, h-1-y
			case 5:
				ux, uy = y, x
			case 6: // shown turned a quarter clockwise
				ux, uy = w-1-y, x
			case 7:
				ux, uy = w-1-y, h-1-x
			case 8: // shown turned a quarter anticlockwise
				ux, uy = y, h-1-x
			}
			out.SetRGBA(x, y, up.RGBAAt(ux, uy))
		}
	}
	return out
}

func encodeJPEG(img image.Image) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 92}); err != nil {
		fail(err)
	}
	return b.Bytes()
}

func encodePNG(img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		fail(err)
	}
	return b.Bytes()
}

// truncate cuts a PNG inside its pixel data, so its header still reads.
func truncate(p []byte) []byte { return p[:len(p)-40] }

func deep(src *image.RGBA) *image.RGBA64 {
	out := image.NewRGBA64(src.Bounds())
	for y := range src.Bounds().Dy() {
		for x := range src.Bounds().Dx() {
			out.Set(x, y, src.At(x, y))
		}
	}
	return out
}

// hugeHeaderPNG is a few hundred bytes whose header claims w×h pixels: a
// decompression bomb as far as any reader that trusts headers is concerned.
func hugeHeaderPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk(&b, "IHDR", ihdr)
	// A zlib stream of a few zero rows: nowhere near w×h.
	chunk(&b, "IDAT", []byte{0x78, 0x9c, 0x63, 0x60, 0x18, 0x05, 0x00, 0x00, 0x00, 0x00})
	chunk(&b, "IEND", nil)
	return b.Bytes()
}

func chunk(b *bytes.Buffer, typ string, data []byte) {
	_ = binary.Write(b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	_ = binary.Write(b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// manyFrames is an animation of n tiny frames sharing one two-colour
// palette, so the file stays small while its frame count is absurd.
func manyFrames(n int) []byte {
	pal := color.Palette{color.Black, color.White}
	g := &gif.GIF{Config: image.Config{ColorModel: pal, Width: 2, Height: 2}}
	for i := range n {
		frame := image.NewPaletted(image.Rect(0, 0, 2, 2), pal)
		frame.SetColorIndex(0, 0, uint8(i%2))
		g.Image = append(g.Image, frame)
		g.Delay = append(g.Delay, 1)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		fail(err)
	}
	return b.Bytes()
}

func minimalPDF() []byte {
	return []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
		"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 100 100]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
}

func viaVips(src []byte, save func(*vips.ImageRef) ([]byte, error)) []byte {
	img, err := vips.NewImageFromBuffer(src)
	if err != nil {
		fail(err)
	}
	defer img.Close()
	b, err := save(img)
	if err != nil {
		fail(err)
	}
	return b
}

func cmykJPEG(img *vips.ImageRef) ([]byte, error) {
	if err := img.ToColorSpace(vips.InterpretationCMYK); err != nil {
		return nil, err
	}
	// Without its profile: a CMYK profile is most of a megabyte.
	b, _, err := img.ExportJpeg(&vips.JpegExportParams{Quality: 90, StripMetadata: true})
	return b, err
}

// tryHEIF returns a HEIF picture if this libvips can write one.
func tryHEIF(src []byte) []byte {
	img, err := vips.NewImageFromBuffer(src)
	if err != nil {
		return nil
	}
	defer img.Close()
	b, _, err := img.ExportHeif(&vips.HeifExportParams{Quality: 80})
	if err != nil {
		return nil
	}
	return b
}

// withOrientation inserts an EXIF APP1 segment holding only the orientation
// tag after the JPEG's SOI marker.
func withOrientation(jpg []byte, orientation uint16) []byte {
	var tiff bytes.Buffer
	tiff.WriteString("MM\x00\x2a")
	_ = binary.Write(&tiff, binary.BigEndian, uint32(8)) // first IFD
	_ = binary.Write(&tiff, binary.BigEndian, uint16(1)) // one entry
	_ = binary.Write(&tiff, binary.BigEndian, uint16(0x0112))
	_ = binary.Write(&tiff, binary.BigEndian, uint16(3)) // SHORT
	_ = binary.Write(&tiff, binary.BigEndian, uint32(1))
	_ = binary.Write(&tiff, binary.BigEndian, orientation)
	_ = binary.Write(&tiff, binary.BigEndian, uint16(0))
	_ = binary.Write(&tiff, binary.BigEndian, uint32(0)) // no next IFD
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	var out bytes.Buffer
	out.Write(jpg[:2])
	out.Write([]byte{0xff, 0xe1})
	_ = binary.Write(&out, binary.BigEndian, uint16(len(payload)+2))
	out.Write(payload)
	out.Write(jpg[2:])
	return out.Bytes()
}
