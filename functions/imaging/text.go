package imaging

/*
#cgo pkg-config: vips
#include <stdlib.h>
#include <vips/vips.h>

// pixmill_text draws one line of Pango markup in font at a fixed dpi and
// returns its ink's coverage, one uchar band, in *out.
static int pixmill_text(VipsImage **out, const char *text, const char *font, int dpi) {
	return vips_text(out, text, "font", font, "dpi", dpi, NULL);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"html"
	"math"
	"runtime"
	"strings"
	"sync"
	"unsafe"
)

// Text is drawn by libvips' text operation (Pango, Cairo and fontconfig),
// on one OS thread kept for the life of the process, at one fixed dpi.
//
// With libvips 8.14 (Debian 12's) and Pango 1.50, drawing text from
// several goroutines at once crashed the process with SIGFPE inside
// GLib's hash tables within seconds (TestTextFromManyGoroutines). The
// crashing thread is one of Pango's fontconfig helper threads, releasing a
// font pattern into a font map whose caches were cleared meanwhile: libvips
// fits text to a box by changing the font map's resolution again and again,
// and each change clears Pango's caches. libvips issue 3660 and govips
// issue 420 report the same crash.
//
// So pixmill never lets the resolution change (it sizes the font itself,
// at 72 dpi, where a point is a pixel), and it calls Pango from a single
// locked thread, whose default font map is the only one ever used. A
// watermark's line is small, so waiting for that thread costs little next
// to the picture's own decode and encode.
var textThread struct {
	once sync.Once
	jobs chan func()
}

// textDPI makes a font's size in points its size in pixels.
const textDPI = 72

// onTextThread runs f on the text thread and waits for it.
func onTextThread(f func()) {
	textThread.once.Do(func() {
		textThread.jobs = make(chan func())
		go func() {
			runtime.LockOSThread() // never unlocked: the thread is the text's
			for job := range textThread.jobs {
				job()
			}
		}()
	})
	done := make(chan struct{})
	textThread.jobs <- func() { defer close(done); f() }
	<-done
}

// textMask returns width × height bytes of antialiased coverage (0–255):
// text as one line in a bold sans-serif, as large as fits the box without
// exceeding it, its ink at the top left. It is all zero when the text has
// no ink (only spaces).
func textMask(text string, width, height int) ([]byte, error) {
	var (
		ink  []byte
		w, h int
		err  error
	)
	onTextThread(func() { ink, w, h, err = fitText(html.EscapeString(text), width, height) })
	if err != nil {
		return nil, err
	}
	mask := make([]byte, width*height)
	for y := range min(h, height) {
		copy(mask[y*width:y*width+min(w, width)], ink[y*w:])
	}
	return mask, nil
}

// fitText draws markup at the largest size whose ink fits width × height:
// first at the box's height, then scaled by how far that overshoots, then
// a pixel smaller at a time while hinting still makes it too large.
func fitText(markup string, width, height int) (ink []byte, w, h int, err error) {
	size := height
	for range 8 {
		ink, w, h, err = drawText(markup, size)
		if err != nil || w == 0 || w <= width && h <= height {
			return ink, w, h, err
		}
		scaled := int(math.Floor(float64(size) * min(float64(width)/float64(w), float64(height)/float64(h))))
		size = max(1, min(size-1, scaled))
	}
	return ink, w, h, fmt.Errorf("imaging: text does not fit %d×%d pixels", width, height)
}

// drawText draws markup at size pixels and returns its ink's coverage and
// size (0 × 0 for text without ink).
func drawText(markup string, size int) (ink []byte, w, h int, err error) {
	ctext, cfont := C.CString(markup), C.CString(fmt.Sprintf("sans bold %d", size))
	defer C.free(unsafe.Pointer(ctext))
	defer C.free(unsafe.Pointer(cfont))
	var out *C.VipsImage
	if C.pixmill_text(&out, ctext, cfont, textDPI) != 0 {
		msg := C.GoString(C.vips_error_buffer())
		C.vips_error_clear()
		if strings.Contains(msg, "no text to render") {
			return nil, 0, 0, nil
		}
		return nil, 0, 0, errors.New("imaging: drawing text: " + strings.TrimSpace(msg))
	}
	defer C.g_object_unref(C.gpointer(out))
	var n C.size_t
	buf := C.vips_image_write_to_memory(out, &n)
	if buf == nil {
		return nil, 0, 0, errors.New("imaging: drawing text: no memory for its pixels")
	}
	defer C.g_free(C.gpointer(buf))
	w, h = int(out.Xsize), int(out.Ysize)
	if int(n) != w*h {
		return nil, 0, 0, fmt.Errorf("imaging: text of %d bytes for %d×%d", n, w, h)
	}
	return C.GoBytes(buf, C.int(n)), w, h, nil
}
