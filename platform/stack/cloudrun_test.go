package stack_test

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/pixmill/pixmill/platform/auth"
)

// TestCloudRunGatewayArgs holds the Terraform module's gateway to flags
// that `pixmill up` accepts. The module's own test
// (infra/terraform/tests/gateway.tftest.hcl) asserts the exact arguments
// the service gets in each sign-in mode; here those same lists are parsed
// as up's command line, so a renamed flag or a wrong audience form fails
// on this side too.
func TestCloudRunGatewayArgs(t *testing.T) {
	tests := repoFile(t, "infra", "terraform", "tests", "gateway.tftest.hcl")
	// The gateway's environment in the module: a requests topic, the bucket
	// and no subscription.
	env := map[string]string{
		"PIXMILL_BUCKET":         "gs://my-project-pixmill-data",
		"PIXMILL_REQUESTS_TOPIC": "gcppubsub://projects/my-project/topics/pixmill-requests",
	}
	modes := map[auth.Mode]bool{}
	for _, m := range regexp.MustCompile(`\.args == tolist\((\["up",[^)]*\])\)`).FindAllSubmatch(tests, -1) {
		var args []string
		if err := json.Unmarshal(m[1], &args); err != nil {
			t.Fatalf("gateway.tftest.hcl: arguments %s: %v", m[1], err)
		}
		c, err := parseUp(args[1:], env)
		if err != nil {
			t.Errorf("pixmill %v: %v", args, err)
			continue
		}
		modes[c.Auth.Mode] = true
		switch c.Auth.Mode {
		case auth.ModeIAP:
			if !regexp.MustCompile(`^/projects/[0-9]+/locations/[a-z0-9-]+/services/[a-z0-9-]+$`).MatchString(c.Auth.IAPAudience) {
				t.Errorf("--iap-audience %q is not the audience IAP signs for on Cloud Run", c.Auth.IAPAudience)
			}
		case auth.ModeOIDC:
		default:
			t.Errorf("pixmill %v: --auth %s; the module offers iap and oidc", args, c.Auth.Mode)
		}
	}
	if !modes[auth.ModeIAP] || !modes[auth.ModeOIDC] {
		t.Errorf("gateway.tftest.hcl asserts the arguments of the modes %v; want both iap and oidc", modes)
	}
}
