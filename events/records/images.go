package records

import (
	"context"
	"time"

	"github.com/pixmill/pixmill/events/fault"
)

// Image is an uploaded original.
type Image struct {
	ID      string    `json:"id"`
	Owner   string    `json:"owner"`
	Name    string    `json:"name"`
	Key     string    `json:"key"`
	Format  string    `json:"format"`
	Width   int       `json:"width"`
	Height  int       `json:"height"`
	Bytes   int64     `json:"bytes"`
	Created time.Time `json:"created"`
}

// PutImage stores an image record.
func (s *Store) PutImage(ctx context.Context, img Image) error {
	return s.put(ctx, imageRecordKey(img.ID), img)
}

// Image reads the record of image id owned by owner. Someone else's image is
// reported as not found, so ids cannot be probed; an image its owner
// deleted, or that expired, is a [*GoneError] that says so.
func (s *Store) Image(ctx context.Context, owner, id string) (Image, error) {
	var img Image
	if err := s.get(ctx, imageRecordKey(id), &img); err != nil {
		if fault.KindOf(err) == fault.NotFound {
			err = s.gone(ctx, goneImageKey(id), owner, "image", err)
		}
		return Image{}, err
	}
	if img.Owner != owner {
		return Image{}, notFound(imageRecordKey(id))
	}
	return img, nil
}
