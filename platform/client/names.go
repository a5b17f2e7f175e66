package client

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pixmill/pixmill/events/imagetype"
)

// maxStem bounds the name before the extension: well under the 255 bytes
// file systems allow, leaving room for a suffix and an extension.
const maxStem = 120

// stem reduces a file name from anywhere, the server included, to a name
// that is safe as one path element on any common file system: the last
// element of the path without its extension, with separators, control
// characters and the characters Windows forbids replaced. It never returns
// "", "." or "..": "../../etc/passwd" becomes "passwd".
func stem(name string) string {
	name = strings.ToValidUTF8(name, "_")
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "/" {
		name = ""
	}
	name = strings.TrimSuffix(name, path.Ext(name))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || strings.ContainsRune(`/\:*?"<>|`, r) {
			return '_'
		}
		return r
	}, name)
	if len(name) > maxStem {
		cut := maxStem
		for !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = name[:cut]
	}
	// Windows drops trailing dots and spaces, and leading ones make
	// hidden files or "..".
	name = strings.Trim(name, ". ")
	if name == "" {
		return "image"
	}
	if reservedOnWindows(name) {
		return name + "_"
	}
	return name
}

func reservedOnWindows(name string) bool {
	switch upper := strings.ToUpper(name); upper {
	case "CON", "PRN", "AUX", "NUL":
		return true
	default:
		return len(upper) == 4 && (strings.HasPrefix(upper, "COM") || strings.HasPrefix(upper, "LPT")) &&
			upper[3] >= '1' && upper[3] <= '9'
	}
}

// extension returns the file extension, dot included, for an image format
// name such as "jpeg", from the format table. An unknown format keeps its letters and digits, so
// the name is still safe; an empty one gives "".
func extension(format string) string {
	if t, ok := imagetype.ByName(format); ok {
		return t.Ext()
	}
	format = strings.ToLower(format)
	clean := strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, format)
	if len(clean) > 8 {
		clean = clean[:8]
	}
	if clean == "" {
		return ""
	}
	return "." + clean
}

// maxSuffix bounds the search for a free name; reaching it means the
// folder is full of earlier runs' outputs, which is worth an error.
const maxSuffix = 10000

// claim creates an empty file named stem+ext in dir, or stem-2+ext,
// stem-3+ext … when that name is taken, and returns its path. Creating
// with O_EXCL makes the check and the claim one step, so an existing file
// (or one differing only in case, on file systems that ignore case) is
// never overwritten.
func claim(dir, stem, ext string) (string, error) {
	for n := 1; n <= maxSuffix; n++ {
		name := stem + ext
		if n > 1 {
			name = fmt.Sprintf("%s-%d%s", stem, n, ext)
		}
		p := filepath.Join(dir, name)
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			return p, f.Close()
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("client: create output: %w", err)
		}
	}
	return "", fmt.Errorf("client: create output: %s%s and %d numbered variants already exist in %s", stem, ext, maxSuffix-1, dir)
}
