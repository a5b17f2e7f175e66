package imaging

import (
	"bytes"
	"testing"

	"github.com/pixmill/pixmill/functions/imaging/exiftest"
)

// Every strict prefix of a file must count as truncated, and the whole file
// as complete: a walk that skips a length wrongly fails one of the two.
func TestCompleteEveryPrefix(t *testing.T) {
	webp := process(t, encodePNG(t, photo(40, 30)), Output{Format: "webp"}).Bytes
	files := []struct {
		name  string
		check func([]byte) bool
		data  []byte
	}{
		{"jpeg", jpegComplete, encodeJPEG(t, photo(40, 30))},
		{"jpeg with exif", jpegComplete, exiftest.JPEG(encodeJPEG(t, photo(40, 30)), 6, "Pixmill")},
		{"progressive jpeg from libvips", jpegComplete, process(t, encodePNG(t, photo(40, 30)), Output{Format: "jpeg"}).Bytes},
		{"png", pngComplete, encodePNG(t, photo(40, 30))},
		{"webp", webpComplete, webp},
	}
	for _, f := range files {
		if !f.check(f.data) {
			t.Errorf("%s: the whole file counts as truncated", f.name)
		}
		for n := range len(f.data) {
			if f.check(f.data[:n]) {
				t.Errorf("%s: the first %d of %d bytes count as complete", f.name, n, len(f.data))
				break
			}
		}
	}
}

func TestJPEGComplete(t *testing.T) {
	jpg := encodeJPEG(t, photo(64, 64))
	// An EXIF block may hold a whole thumbnail JPEG, EOI included; that EOI
	// must not make a cut-off main picture look complete.
	thumb := encodeJPEG(t, photo(8, 8))
	app1 := append([]byte("Exif\x00\x00"), thumb...)
	withThumb := append([]byte{0xFF, 0xD8, 0xFF, 0xE1, byte((len(app1) + 2) >> 8), byte(len(app1) + 2)}, app1...)
	withThumb = append(withThumb, jpg[2:]...)

	tests := []struct {
		name string
		data []byte
		want bool
	}{
		{"whole", jpg, true},
		{"trailing data after EOI", append(bytes.Clone(jpg), bytes.Repeat([]byte{0xFF, 0xD9, 0}, 10)...), true},
		{"embedded thumbnail, whole", withThumb, true},
		{"embedded thumbnail, main picture cut", withThumb[:len(withThumb)-100], false},
		{"not a jpeg", []byte("GIF89a............"), false},
		{"segment longer than the file", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x10, 0x00, 0, 0}, false},
		{"segment length below 2", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01, 0xFF, 0xD9}, false},
		{"fill bytes before EOI", []byte{0xFF, 0xD8, 0xFF, 0xFF, 0xFF, 0xD9}, true},
	}
	for _, tt := range tests {
		if got := jpegComplete(tt.data); got != tt.want {
			t.Errorf("%s: jpegComplete = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func BenchmarkJPEGComplete(b *testing.B) {
	src := largeJPEG(b)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if !jpegComplete(src) {
			b.Fatal("complete JPEG counted as truncated")
		}
	}
}
