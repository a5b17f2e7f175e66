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
// against the ranges and choices declared in the struct's tags. The same tags
// describe the ops to machines ([Catalogue]) and give the compact command-line
// form ([ParseCompact]). [Canonical] writes an op back out with its defaults
// filled in, so a queued request says exactly what will be done.
//
// # Processing
//
// [Process] runs a list of ops on a picture. When the first op is a
// thumbnail, the picture is decoded already shrunk (libvips' shrink-on-load),
// which is many times faster than decoding every pixel. Pictures are turned
// upright from their EXIF orientation as they are decoded. [Probe] reads only
// a picture's header, for accepting uploads.
//
// # Errors
//
// Errors carry a [fault.Kind]: a malformed op or output is
// fault.InvalidArgument; a file that is not a readable picture, or an op the
// picture cannot take (a crop outside it), is fault.Permanent, with a public
// message and libvips' own text kept as the cause. Context errors are returned
// unchanged.
package imaging
