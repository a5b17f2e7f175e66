package gateway

import (
	"context"
	"io"
	"sync/atomic"

	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/gcerrors"
)

// counted is a bucket driver that passes every call to a real bucket and
// counts what reaches it: an instrument for tests that must show how much a
// reader reads, not how long it takes.
type counted struct {
	b *blob.Bucket
	// lists counts listing calls (pages), listed the objects they
	// returned, reads the objects opened for reading.
	lists, listed, reads atomic.Int64
}

// countReads wraps b; the returned bucket does not close b.
func countReads(b *blob.Bucket) (*blob.Bucket, *counted) {
	c := &counted{b: b}
	return blob.NewBucket(c), c
}

// snapshot is the counts so far.
func (c *counted) snapshot() readCounts {
	return readCounts{lists: c.lists.Load(), listed: c.listed.Load(), reads: c.reads.Load()}
}

type readCounts struct{ lists, listed, reads int64 }

func (a readCounts) minus(b readCounts) readCounts {
	return readCounts{a.lists - b.lists, a.listed - b.listed, a.reads - b.reads}
}

func (c *counted) ErrorCode(err error) gcerrors.ErrorCode { return gcerrors.Code(err) }
func (c *counted) As(i any) bool                          { return c.b.As(i) }
func (c *counted) ErrorAs(err error, i any) bool          { return c.b.ErrorAs(err, i) }
func (c *counted) Close() error                           { return nil }

func (c *counted) Attributes(ctx context.Context, key string) (*driver.Attributes, error) {
	a, err := c.b.Attributes(ctx, key)
	if err != nil {
		return nil, err
	}
	return &driver.Attributes{CacheControl: a.CacheControl, ContentDisposition: a.ContentDisposition, ContentEncoding: a.ContentEncoding,
		ContentLanguage: a.ContentLanguage, ContentType: a.ContentType, Metadata: a.Metadata, CreateTime: a.CreateTime,
		ModTime: a.ModTime, Size: a.Size, MD5: a.MD5, ETag: a.ETag}, nil
}

func (c *counted) ListPaged(ctx context.Context, opts *driver.ListOptions) (*driver.ListPage, error) {
	c.lists.Add(1)
	size := opts.PageSize
	if size == 0 {
		size = 1000
	}
	token := opts.PageToken
	if token == nil {
		token = blob.FirstPageToken
	}
	objs, next, err := c.b.ListPage(ctx, token, size, &blob.ListOptions{Prefix: opts.Prefix, Delimiter: opts.Delimiter})
	if err != nil && err != io.EOF {
		return nil, err
	}
	page := &driver.ListPage{NextPageToken: next}
	for _, o := range objs {
		page.Objects = append(page.Objects, &driver.ListObject{Key: o.Key, ModTime: o.ModTime, Size: o.Size, MD5: o.MD5, IsDir: o.IsDir})
	}
	c.listed.Add(int64(len(objs)))
	return page, nil
}

func (c *counted) NewRangeReader(ctx context.Context, key string, offset, length int64, opts *driver.ReaderOptions) (driver.Reader, error) {
	c.reads.Add(1)
	r, err := c.b.NewRangeReader(ctx, key, offset, length, nil)
	if err != nil {
		return nil, err
	}
	return countedReader{r}, nil
}

type countedReader struct{ r *blob.Reader }

func (r countedReader) Read(p []byte) (int, error) { return r.r.Read(p) }
func (r countedReader) Close() error               { return r.r.Close() }
func (r countedReader) As(i any) bool              { return r.r.As(i) }
func (r countedReader) Attributes() *driver.ReaderAttributes {
	return &driver.ReaderAttributes{ContentType: r.r.ContentType(), ModTime: r.r.ModTime(), Size: r.r.Size()}
}

func (c *counted) NewTypedWriter(ctx context.Context, key, contentType string, opts *driver.WriterOptions) (driver.Writer, error) {
	return c.b.NewWriter(ctx, key, &blob.WriterOptions{ContentType: contentType, Metadata: opts.Metadata, ContentMD5: opts.ContentMD5})
}

func (c *counted) Copy(ctx context.Context, dstKey, srcKey string, opts *driver.CopyOptions) error {
	return c.b.Copy(ctx, dstKey, srcKey, nil)
}

func (c *counted) Delete(ctx context.Context, key string, opts *driver.DeleteOptions) error {
	return c.b.Delete(ctx, key)
}

func (c *counted) SignedURL(ctx context.Context, key string, opts *driver.SignedURLOptions) (string, error) {
	return c.b.SignedURL(ctx, key, nil)
}
