package client

import (
	"context"
	"fmt"
	"net/http"

	"github.com/pixmill/pixmill/platform/api"
)

// Me returns the caller's use of its quotas and its limits (GET /v1/me).
func (c *Client) Me(ctx context.Context) (api.Me, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url("v1", "me"), nil)
	if err != nil {
		return api.Me{}, fmt.Errorf("client: get me: %w", err)
	}
	var me api.Me
	return me, c.exchange(req, "get me", &me)
}
