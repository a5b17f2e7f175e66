// Package exiftest makes JPEGs with EXIF metadata for tests: the camera make
// and the orientation, in an APP1 segment built byte by byte, so tests of
// orientation and of metadata kept or stripped need no camera files.
package exiftest

import (
	"bytes"
	"encoding/binary"
)

// JPEG returns jpg (a JPEG file) with an EXIF APP1 segment right after its
// SOI marker, holding the camera make and the orientation (1 to 8).
func JPEG(jpg []byte, orientation uint16, make string) []byte {
	be := binary.BigEndian
	makeText := append([]byte(make), 0)
	const ifdEnd = 8 + 2 + 2*12 + 4 // header, count, two entries, next-IFD offset
	var tiff bytes.Buffer
	tiff.WriteString("MM\x00\x2a")          // big-endian TIFF
	binary.Write(&tiff, be, uint32(8))      // IFD0 right after the header
	binary.Write(&tiff, be, uint16(2))      // entries, sorted by tag:
	binary.Write(&tiff, be, uint16(0x010F)) // Make, ASCII, stored after the IFD
	binary.Write(&tiff, be, uint16(2))
	binary.Write(&tiff, be, uint32(len(makeText)))
	binary.Write(&tiff, be, uint32(ifdEnd))
	binary.Write(&tiff, be, uint16(0x0112)) // Orientation, one SHORT, left-justified
	binary.Write(&tiff, be, uint16(3))
	binary.Write(&tiff, be, uint32(1))
	binary.Write(&tiff, be, orientation)
	binary.Write(&tiff, be, uint16(0))
	binary.Write(&tiff, be, uint32(0)) // no next IFD
	tiff.Write(makeText)
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)

	var out bytes.Buffer
	out.Write(jpg[:2]) // SOI
	out.Write([]byte{0xFF, 0xE1})
	binary.Write(&out, be, uint16(len(payload)+2))
	out.Write(payload)
	out.Write(jpg[2:])
	return out.Bytes()
}

// HasEXIF reports whether a JPEG file carries an EXIF APP1 segment naming
// the camera make given.
func HasEXIF(jpg []byte, make string) bool {
	i := bytes.Index(jpg, []byte("Exif\x00\x00"))
	return i >= 0 && bytes.Contains(jpg[i:], append([]byte(make), 0))
}
