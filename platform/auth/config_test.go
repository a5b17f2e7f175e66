package auth_test

import (
	"encoding/base64"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pixmill/pixmill/platform/auth"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  auth.Config
		want []string // each in the error; none for a valid config
	}{
		{"zero value is loopback", auth.Config{}, nil},
		{"unknown mode", auth.Config{Mode: "ldap"}, []string{`auth: "ldap" is not one of loopback|none|keys|oidc|proxy|iap`}},
		{"oidc", auth.Config{Mode: auth.ModeOIDC, OIDCIssuer: "https://accounts.example.com", OIDCAudience: "app"}, nil},
		{"oidc on loopback http", auth.Config{Mode: auth.ModeOIDC, OIDCIssuer: "http://127.0.0.1:5556/dex", OIDCAudience: "app"}, nil},
		{"oidc without issuer or audience", auth.Config{Mode: auth.ModeOIDC}, []string{"oidc-issuer: required", "oidc-audience: required"}},
		{"oidc over plain http", auth.Config{Mode: auth.ModeOIDC, OIDCIssuer: "http://accounts.example.com", OIDCAudience: "app"}, []string{`oidc-issuer: "http://accounts.example.com" must be https`}},
		{"oidc issuer not a URL", auth.Config{Mode: auth.ModeOIDC, OIDCIssuer: "accounts", OIDCAudience: "app"}, []string{`oidc-issuer: "accounts" is not an absolute URL`}},
		{"proxy", auth.Config{Mode: auth.ModeProxy, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, nil},
		{"proxy trusting nobody", auth.Config{Mode: auth.ModeProxy}, []string{"trusted-proxies: required"}},
		{"proxy trusting everybody", auth.Config{Mode: auth.ModeProxy, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}}, []string{"trusted-proxies: 0.0.0.0/0 trusts every address"}},
		{"iap", auth.Config{Mode: auth.ModeIAP, IAPAudience: "/projects/1/global/backendServices/2"}, nil},
		{"iap on cloud run", auth.Config{Mode: auth.ModeIAP, IAPAudience: "/projects/1/locations/europe-west1/services/pixmill-gateway"}, nil},
		{"iap without audience", auth.Config{Mode: auth.ModeIAP}, []string{`iap-audience: "" is not /projects/`}},
		{"iap keys over http", auth.Config{Mode: auth.ModeIAP, IAPAudience: "/projects/1/apps/x", IAPJWKSURL: "http://keys.example.com/jwk"}, []string{"iap-jwks-url"}},
		{"short link key", auth.Config{LinkKeys: [][]byte{make([]byte, 32), make([]byte, 8)}}, []string{"link keys: key 2 has 8 bytes, want at least 32"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.want) == 0 && err != nil {
				t.Fatalf("Validate = %v, want nil", err)
			}
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Validate = %v, want %q in it", err, w)
				}
			}
		})
	}
}

func TestBindFlags(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(make([]byte, 32))
	file := filepath.Join(t.TempDir(), "link-keys")
	if err := os.WriteFile(file, []byte(key+"\n\n"+base64.StdEncoding.EncodeToString(newKey)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		auth.EnvAuth:           "oidc",
		auth.EnvOIDCIssuer:     "https://accounts.example.com",
		auth.EnvOIDCAudience:   "from-env",
		auth.EnvTrustedProxies: "10.0.0.0/8",
		auth.EnvLinkKeys:       key,
	}
	tests := []struct {
		name    string
		args    []string
		want    auth.Config
		wantErr string
	}{
		{"environment", nil, auth.Config{Mode: auth.ModeOIDC, OIDCIssuer: "https://accounts.example.com", OIDCAudience: "from-env",
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, LinkKeys: [][]byte{make([]byte, 32)}}, ""},
		{"flags win", []string{"--auth", "proxy", "--trusted-proxies", "192.168.0.1/24, fd00::/8", "--oidc-audience", "from-flag", "--link-keys-file", file},
			auth.Config{Mode: auth.ModeProxy, OIDCIssuer: "https://accounts.example.com", OIDCAudience: "from-flag",
				TrustedProxies: []netip.Prefix{netip.MustParsePrefix("192.168.0.0/24"), netip.MustParsePrefix("fd00::/8")}, LinkKeys: [][]byte{make([]byte, 32), newKey}}, ""},
		{"bad network", []string{"--trusted-proxies", "10.0.0.0/8,10.0.0.300/8"}, auth.Config{}, `trusted-proxies: "10.0.0.300/8" is not a network`},
		{"missing key file", []string{"--link-keys-file", filepath.Join(t.TempDir(), "none")}, auth.Config{}, "link-keys-file:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cfg auth.Config
			fs := flag.NewFlagSet("up", flag.ContinueOnError)
			cfg.BindFlags(fs, func(k string) string { return env[k] })
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			err := cfg.Validate()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Validate = %v, want %q in it", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := cfg
			tt.want.ProxyUserHeader, tt.want.ProxyEmailHeader, tt.want.ProxyIssuer = auth.DefaultProxyUserHeader, auth.DefaultProxyEmailHeader, auth.DefaultProxyIssuer
			tt.want.IAPJWKSURL = auth.DefaultIAPJWKSURL
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }), cmp.AllowUnexported(auth.Config{})); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}
