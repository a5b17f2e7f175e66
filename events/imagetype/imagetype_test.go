package imagetype_test

import (
	"testing"

	"github.com/pixmill/pixmill/events/imagetype"
)

func TestByName(t *testing.T) {
	tests := []struct {
		in, name, ext, mime string
	}{
		{"jpeg", "jpeg", ".jpg", "image/jpeg"},
		{"JPG", "jpeg", ".jpg", "image/jpeg"},
		{".jpe", "jpeg", ".jpg", "image/jpeg"},
		{"tif", "tiff", ".tiff", "image/tiff"},
		{"tiff", "tiff", ".tiff", "image/tiff"},
		{"heif", "heif", ".heic", "image/heif"},
		{"HEIC", "heif", ".heic", "image/heif"},
		{"jxl", "jxl", ".jxl", "image/jxl"},
		{" png ", "png", ".png", "image/png"},
	}
	for _, tt := range tests {
		got, ok := imagetype.ByName(tt.in)
		if !ok || got.Name != tt.name || got.Ext() != tt.ext || got.MIME != tt.mime {
			t.Errorf("ByName(%q) = %+v %v, want %s %s %s", tt.in, got, ok, tt.name, tt.ext, tt.mime)
		}
	}
	for _, in := range []string{"", "bmp", "svg", "pdf", "exe"} {
		if got, ok := imagetype.ByName(in); ok {
			t.Errorf("ByName(%q) = %+v, want not found", in, got)
		}
	}
}

// TestTable holds the table to itself: names and extensions name one format
// each, and every row is complete.
func TestTable(t *testing.T) {
	owner := map[string]string{}
	for _, ty := range imagetype.All() {
		if ty.Name == "" || len(ty.Extensions) == 0 || ty.MIME == "" {
			t.Errorf("incomplete row %+v", ty)
		}
		for _, n := range append([]string{ty.Name}, ty.Extensions...) {
			if o, dup := owner[n]; dup && o != ty.Name {
				t.Errorf("%q names both %s and %s", n, o, ty.Name)
			}
			owner[n] = ty.Name
		}
		if imagetype.ContentType(ty.Name) != ty.MIME {
			t.Errorf("ContentType(%q) = %q, want %q", ty.Name, imagetype.ContentType(ty.Name), ty.MIME)
		}
	}
	if got := imagetype.Readable(); len(got) != len(imagetype.All()) {
		t.Errorf("Readable() = %v: every format in the table is read", got)
	}
}
