package client

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStem(t *testing.T) {
	tests := []struct{ name, want string }{
		{"beach.jpg", "beach"},
		{"photos/2024/beach.jpg", "beach"},
		{"../../etc/passwd", "passwd"},
		{"/etc/passwd", "passwd"},
		{`..\..\Windows\win.ini`, "win"},
		{"..", "image"},
		{".", "image"},
		{"", "image"},
		{"/", "image"},
		{"../", "image"},
		{".bashrc", "image"},
		{"...jpg", "image"},
		{"archive.tar.gz", "archive.tar"},
		{"a:b*c?d\"e<f>g|h.png", "a_b_c_d_e_f_g_h"},
		{"tab\tnew\nline\x1b[31m.jpg", "tab_new_line_[31m"},
		{"  spaced . .jpg", "spaced"},
		{"bad\xffutf8.jpg", "bad_utf8"},
		{"CON.jpg", "CON_"},
		{"lpt1.png", "lpt1_"},
		{"COM10.png", "COM10"},
		{"ünïcödé.jpg", "ünïcödé"},
		{strings.Repeat("é", 100) + ".jpg", strings.Repeat("é", 60)},
	}
	for _, tt := range tests {
		if got := stem(tt.name); got != tt.want {
			t.Errorf("stem(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestExtension(t *testing.T) {
	tests := []struct{ format, want string }{
		{"jpeg", ".jpg"},
		{"JPEG", ".jpg"},
		{"png", ".png"},
		{"webp", ".webp"},
		{"tiff", ".tiff"},
		{"heif", ".heic"},
		{"avif", ".avif"},
		{"", ""},
		{"../../x", ".x"},
		{"image/png", ".imagepng"},
		{"averyveryverylongformat", ".averyver"},
	}
	for _, tt := range tests {
		if got := extension(tt.format); got != tt.want {
			t.Errorf("extension(%q) = %q, want %q", tt.format, got, tt.want)
		}
	}
}

func TestClaim(t *testing.T) {
	tests := []struct {
		name     string
		existing []string
		stem     string
		ext      string
		want     string
	}{
		{"free name", nil, "photo", ".jpg", "photo.jpg"},
		{"taken name", []string{"photo.jpg"}, "photo", ".jpg", "photo-2.jpg"},
		{"several taken", []string{"photo.jpg", "photo-2.jpg", "photo-3.jpg"}, "photo", ".jpg", "photo-4.jpg"},
		{"other extension is no clash", []string{"photo.png"}, "photo", ".jpg", "photo.jpg"},
		{"no extension", []string{"photo"}, "photo", "", "photo-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, name := range tt.existing {
				writeFile(t, filepath.Join(dir, name), "old")
			}
			got, err := claim(dir, tt.stem, tt.ext)
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(dir, tt.want); got != want {
				t.Errorf("claim = %q, want %q", got, want)
			}
			for _, name := range tt.existing {
				if data, _ := os.ReadFile(filepath.Join(dir, name)); string(data) != "old" {
					t.Errorf("%s was overwritten", name)
				}
			}
		})
	}
}
