package api

// Me is the answer of GET /v1/me: the caller's use of its quotas and its
// limits.
type Me struct {
	Usage  Usage  `json:"usage"`
	Limits Limits `json:"limits"`
}
