// Package imaging edits pictures: it decodes a picture once, applies an
// ordered list of small ops, and encodes the result once. It is the only
// package in pixmill that calls libvips (through govips) and so the only one
// that uses cgo; everything it exports is plain Go.
//
// # Start-up
//
// Call [Startup] once per process before anything else and [Shutdown] on the
// way out; libvips cannot be started again after that. Startup turns libvips'
// operation cache off (a worker sees each picture once, so caching only costs
// memory) and sends libvips' warnings to a logger or nowhere.
//
// # Ops
//
// An op is a small struct, one per file, registered by name in that file's
// init. Its JSON form is flat, {"op":"thumbnail","width":256,"fit":"fill"};
// [Parse] reads it, rejecting unknown ops and fields, and checks every value
// against the ranges, choices and formats declared in the struct's tags. The
// same tags describe the ops to machines ([Catalogue]) and give the compact
// command-line form ([ParseCompact]). [Canonical] writes an op back out with
// its defaults filled in, so a queued request says exactly what will be done.
// Besides numbers, strings and booleans, a field may be a [Box] (part of the
// picture, in pixels), a list of boxes, or a list of strings such as colours.
//
// Most ops are libvips operations, streamed: geometry (thumbnail, resize,
// crop, rotate, flip), tone and colour as affine maps of CIELAB
// (brightness, contrast, saturation, recolor), gamma, blur, sharpen and
// watermark. Red-eye and teeth whitening decide pixel by pixel on shapes and
// neighbourhoods, so they read the pixels they need into Go, in small
// rectangles, and write back only the rectangles they change; the rest of
// the picture is never rounded. Automatic red-eye first finds the faces in
// a small grey copy (package faces, OpenCV's trained cascades run in Go)
// and reads only their eyes; every size the two ops use is a fraction of
// the face, the eye or the user's box, so a photo at any resolution gets
// the same edit (docs/imaging-detection.md). An op that needs another
// picture, such as a watermark's logo, is a [Needer]: the caller reads that
// picture and hands its bytes over, because ops do no I/O.
//
// # Processing
//
// [Process] runs a list of ops on a picture. When the first op is a
// thumbnail, the picture is decoded already shrunk (libvips' shrink-on-load),
// which is many times faster than decoding every pixel. Pictures are turned
// upright from their EXIF orientation as they are decoded and, when metadata
// is stripped, converted to sRGB from any other embedded colour profile.
// [Probe] reads only a picture's header, for accepting uploads.
//
// # Errors
//
// Errors carry a [fault.Kind]: a malformed op or output is
// fault.InvalidArgument; a file that is not a readable picture, or an op the
// picture cannot take (a crop outside it), is fault.Permanent, with a public
// message and libvips' own text kept as the cause; an edit whose result
// would be too large to hold (resize beyond 100 megapixels) is
// fault.LimitExceeded. Context errors are returned unchanged.
package imaging
