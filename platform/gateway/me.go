package gateway

import (
	"net/http"

	"github.com/pixmill/pixmill/platform/api"
)

// getMe answers who the caller is to pixmill: its use and limits.
func (g *Gateway) getMe(w http.ResponseWriter, r *http.Request, owner string) {
	u, l, err := g.usage(r.Context(), owner)
	if err != nil {
		g.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.Me{Usage: u, Limits: l})
}
