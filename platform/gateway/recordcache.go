package gateway

import (
	"context"
	"sync"

	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/events/records"
)

// recordCache keeps records the gateway has written or read that are
// written once and never changed: jobs and images. A copy is then as good
// as a read: a job of 10,000 photos is a record of megabytes, which every
// poll of its status and every connection to its events would otherwise
// read and decode again, and its submission would read 10,000 image records
// that the same gateway stored minutes before. Each record has a cost (a
// job's is its tasks); when the costs reach max the cache starts again
// empty, which costs a read of each record still in use.
type recordCache[T any] struct {
	max  int
	cost func(T) int

	mu   sync.Mutex
	m    map[string]T
	used int
}

func (c *recordCache[T]) get(id string) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[id]
	return v, ok
}

func (c *recordCache[T]) put(id string, v T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cost := c.cost(v)
	if c.m == nil || c.used+cost > c.max {
		c.m, c.used = map[string]T{}, 0
	}
	if _, ok := c.m[id]; !ok {
		c.m[id] = v
		c.used += cost
	}
}

// drop forgets id: its record was deleted.
func (c *recordCache[T]) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[id]; ok {
		c.used -= c.cost(v)
		delete(c.m, id)
	}
}

// dropWhere forgets every record f picks.
func (c *recordCache[T]) dropWhere(f func(T) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, v := range c.m {
		if f(v) {
			c.used -= c.cost(v)
			delete(c.m, id)
		}
	}
}

// Bounds of the gateway's caches: about 300 bytes a task or an image.
const (
	maxCachedTasks  = 200_000
	maxCachedImages = 100_000
)

func newJobCache() *recordCache[records.Job] {
	return &recordCache[records.Job]{max: maxCachedTasks, cost: func(j records.Job) int { return 1 + len(j.Tasks) }}
}

func newImageCache() *recordCache[records.Image] {
	return &recordCache[records.Image]{max: maxCachedImages, cost: func(records.Image) int { return 1 }}
}

// image reads the record of the caller's image id; someone else's is not
// found, as with records.Store.Image.
func (g *Gateway) image(ctx context.Context, owner, id string) (records.Image, error) {
	if img, ok := g.images.get(id); ok {
		if img.Owner != owner {
			return records.Image{}, fault.New(fault.NotFound, "image %q not found", id)
		}
		return img, nil
	}
	img, err := g.store.Image(ctx, owner, id)
	if err == nil {
		g.images.put(id, img)
	}
	return img, err
}
