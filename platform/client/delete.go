package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// DeleteImage deletes one of the caller's originals. Deleting one already
// deleted is no error; an unknown id is an *APIError with status 404.
func (c *Client) DeleteImage(ctx context.Context, id string) error {
	return c.delete(ctx, "delete image "+id, "v1", "images", id)
}

// DeleteJob deletes one of the caller's jobs: its results, previews and
// records. Deleting one already deleted is no error.
func (c *Client) DeleteJob(ctx context.Context, id string) error {
	return c.delete(ctx, "delete job "+id, "v1", "jobs", id)
}

// DeleteMe erases everything of the caller's, API keys included: the
// credential the client holds fails afterwards.
func (c *Client) DeleteMe(ctx context.Context) error {
	return c.delete(ctx, "erase everything", "v1", "me")
}

func (c *Client) delete(ctx context.Context, what string, segments ...string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, c.url(segments...), nil)
	if err != nil {
		return fmt.Errorf("client: %s: %w", what, err)
	}
	resp, err := c.send(req, what)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("client: %s: %w", what, newAPIError(resp.StatusCode, body))
	}
	return nil
}
