package client

import (
	"context"
	"fmt"
	"net/http"

	"github.com/pixmill/pixmill/platform/api"
)

// NotifySecret returns the key the caller's job notifications are signed
// with, made on first use (GET /v1/me/notify-secret); rotate replaces it
// with a new one first (POST).
func (c *Client) NotifySecret(ctx context.Context, rotate bool) (api.NotifySecret, error) {
	method := http.MethodGet
	if rotate {
		method = http.MethodPost
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url("v1", "me", "notify-secret"), nil)
	if err != nil {
		return api.NotifySecret{}, fmt.Errorf("client: notify secret: %w", err)
	}
	var s api.NotifySecret
	return s, c.exchange(req, "notify secret", &s)
}

// Me returns the caller's use of its quotas and its limits (GET /v1/me).
func (c *Client) Me(ctx context.Context) (api.Me, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url("v1", "me"), nil)
	if err != nil {
		return api.Me{}, fmt.Errorf("client: get me: %w", err)
	}
	var me api.Me
	return me, c.exchange(req, "get me", &me)
}
