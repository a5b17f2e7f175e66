package stack_test

import (
	"encoding/json"
	"net"
	"net/url"
	"regexp"
	"testing"

	"github.com/pixmill/pixmill/platform/auth"
)

// TestKnativeGatewaySignIn holds infra/knative/gateway.yaml to what makes
// its sign-in safe: the gateway's arguments are ones `pixmill up` accepts,
// it listens on loopback only, it trusts identity headers from loopback
// only (the oauth2-proxy beside it in the pod), and oauth2-proxy's upstream
// is that address.
func TestKnativeGatewaySignIn(t *testing.T) {
	manifest := repoFile(t, "infra", "knative", "gateway.yaml")
	m := regexp.MustCompile(`(?m)^\s+args: (\["up".*\])$`).FindSubmatch(manifest)
	if m == nil {
		t.Fatal(`gateway.yaml: no container with args: ["up", ...]`)
	}
	var args []string
	if err := json.Unmarshal(m[1], &args); err != nil {
		t.Fatalf("gateway.yaml: the gateway's args %s: %v", m[1], err)
	}
	// The ConfigMap's queues of the Knative shape: a gateway alone.
	env := map[string]string{"PIXMILL_REQUESTS_TOPIC": "http://broker-ingress.knative-eventing.svc.cluster.local/pixmill/pixmill"}
	c, err := parseUp(args[1:], env)
	if err != nil {
		t.Fatalf("pixmill up %v: %v", args[1:], err)
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		t.Errorf("the gateway listens on %q; want a loopback address, reachable only from its pod", c.Addr)
	}
	if c.Auth.Mode != auth.ModeProxy {
		t.Errorf("--auth %s, want %s", c.Auth.Mode, auth.ModeProxy)
	}
	for _, p := range c.Auth.TrustedProxies {
		if !p.Addr().IsLoopback() || p.Bits() < 8 {
			t.Errorf("trusted proxies include %s; only the pod's loopback may set identity headers", p)
		}
	}
	if len(c.Auth.TrustedProxies) == 0 {
		t.Error("no trusted proxies: the sidecar's headers would be ignored")
	}
	up := regexp.MustCompile(`--upstream=(\S+)`).FindSubmatch(manifest)
	if up == nil {
		t.Fatal("gateway.yaml: oauth2-proxy has no --upstream")
	}
	u, err := url.Parse(string(up[1]))
	if err != nil || u.Hostname() != host || u.Port() != port {
		t.Errorf("oauth2-proxy's upstream %s is not the gateway's address %s", up[1], c.Addr)
	}
}
