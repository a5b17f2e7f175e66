package imaging

import (
	"bytes"
	"encoding/binary"
)

// A truncated upload is the commonest broken picture, and its header reads
// fine, so libvips only notices when it decodes the missing rows, and by
// default (fail_on none) it then fills them with grey and carries on. These
// checks walk the file's structure instead, skipping over the data, to find
// the marker that ends the picture: cheap enough for every upload (half a
// millisecond for a 7 MB, 12 MP JPEG; nothing for the others) and without the
// false alarms of libvips' stricter fail levels, which also reject photos
// whose decoders merely warn. Formats without a check here are left to
// libvips.

// complete reports whether src, sniffed as f, holds the whole picture.
func complete(f format, src []byte) bool {
	switch f.Name {
	case "jpeg":
		return jpegComplete(src)
	case "png":
		return pngComplete(src)
	case "webp":
		return webpComplete(src)
	default:
		return true
	}
}

// jpegComplete walks the JPEG's segments up to EOI. Segments with a length
// (APPn with an embedded EXIF thumbnail, whose own EOI must not count) are
// skipped whole; entropy-coded data after SOS is scanned for the next marker,
// where 0xFF00 (a stuffed zero) and RSTn are not markers. Bytes after EOI,
// which some cameras append, are allowed.
func jpegComplete(b []byte) bool {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return false
	}
	i := 2
	for {
		j := bytes.IndexByte(b[i:], 0xFF)
		if j < 0 {
			return false
		}
		i += j
		for i < len(b) && b[i] == 0xFF { // fill bytes may pad a marker
			i++
		}
		if i >= len(b) {
			return false
		}
		m := b[i]
		i++
		switch {
		case m == 0xD9: // EOI
			return true
		case m == 0x00, m == 0x01, m >= 0xD0 && m <= 0xD8:
			continue // stuffed zero, TEM, RSTn, SOI: no length follows
		}
		if i+2 > len(b) {
			return false
		}
		n := int(binary.BigEndian.Uint16(b[i:])) // counts its own two bytes
		if n < 2 || i+n > len(b) {
			return false
		}
		i += n
	}
}

// pngComplete walks the PNG's chunks, by their lengths, up to IEND.
func pngComplete(b []byte) bool {
	const signature = "\x89PNG\r\n\x1a\n"
	if !bytes.HasPrefix(b, []byte(signature)) {
		return false
	}
	i := len(signature)
	for i+8 <= len(b) {
		n := int64(binary.BigEndian.Uint32(b[i:]))
		end := int64(i) + 12 + n // length, type, data, CRC
		if end > int64(len(b)) {
			return false
		}
		if string(b[i+4:i+8]) == "IEND" {
			return true
		}
		i = int(end)
	}
	return false
}

// webpComplete checks that the file is as long as its RIFF header says.
func webpComplete(b []byte) bool {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return false
	}
	return int64(len(b)) >= 8+int64(binary.LittleEndian.Uint32(b[4:]))
}
