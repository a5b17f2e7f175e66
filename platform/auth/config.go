package auth

import (
	"cmp"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
)

// Mode is how people are identified; see the package comment.
type Mode string

// The modes, as --auth names them.
const (
	ModeLoopback Mode = "loopback"
	ModeNone     Mode = "none"
	ModeKeys     Mode = "keys"
	ModeOIDC     Mode = "oidc"
	ModeProxy    Mode = "proxy"
	ModeIAP      Mode = "iap"
)

// Modes lists every mode, the default first.
var Modes = []Mode{ModeLoopback, ModeNone, ModeKeys, ModeOIDC, ModeProxy, ModeIAP}

// Environment variables that stand in for flags. Flags win.
const (
	EnvAuth             = "PIXMILL_AUTH"
	EnvOIDCIssuer       = "PIXMILL_OIDC_ISSUER"
	EnvOIDCAudience     = "PIXMILL_OIDC_AUDIENCE"
	EnvTrustedProxies   = "PIXMILL_TRUSTED_PROXIES"
	EnvProxyUserHeader  = "PIXMILL_PROXY_USER_HEADER"
	EnvProxyEmailHeader = "PIXMILL_PROXY_EMAIL_HEADER"
	EnvProxyIssuer      = "PIXMILL_PROXY_ISSUER"
	EnvIAPAudience      = "PIXMILL_IAP_AUDIENCE"
	EnvIAPJWKSURL       = "PIXMILL_IAP_JWKS_URL"
	// EnvLinkKeys holds the signing keys of links, base64, comma-separated,
	// the first signing: secrets stay out of the command line, which other
	// users of the machine can read.
	EnvLinkKeys     = "PIXMILL_LINK_KEYS"
	EnvLinkKeysFile = "PIXMILL_LINK_KEYS_FILE"
)

// Defaults.
const (
	DefaultProxyUserHeader  = "X-Forwarded-User"
	DefaultProxyEmailHeader = "X-Forwarded-Email"
	// DefaultProxyIssuer names the proxy as the issuer of its identities.
	// Set --proxy-issuer to the proxy's own OpenID issuer, and have it pass
	// the subject in the user header, to give people the owners they would
	// have in the oidc mode.
	DefaultProxyIssuer = "urn:pixmill:proxy"
	// IAPIssuer is the issuer of every IAP assertion.
	IAPIssuer = "https://cloud.google.com/iap"
	// DefaultIAPJWKSURL is where Google publishes IAP's signing keys.
	DefaultIAPJWKSURL = "https://www.gstatic.com/iap/verify/public_key-jwk"
	// IAPHeader carries IAP's signed assertion.
	IAPHeader = "X-Goog-IAP-JWT-Assertion"
	// MinLinkKeyBytes is the shortest link signing key: HMAC-SHA256's
	// own output size, below which the key, not the hash, is the weak part.
	MinLinkKeyBytes = 32
)

// iapAudienceForms are the audiences IAP signs for, by where it runs
// (Google's "Securing your app with signed headers"): on a Cloud Run service
// itself, on a load balancer's backend service, on App Engine. Each has the
// project's number, not its ID.
const iapAudienceForms = "/projects/NUMBER/locations/REGION/services/NAME (IAP on Cloud Run), /projects/NUMBER/global/backendServices/ID (on a load balancer) or /projects/NUMBER/apps/ID (on App Engine)"

// Config is the identity configuration of a gateway. The zero value is the
// loopback mode.
type Config struct {
	Mode Mode
	// OIDCIssuer is the OpenID provider's issuer URL, as its tokens' iss
	// claim and its discovery document name it.
	OIDCIssuer string
	// OIDCAudience is the audience tokens must name: the client id for ID
	// tokens, the API's identifier for access tokens.
	OIDCAudience string
	// TrustedProxies are the networks whose connections may set the proxy
	// headers.
	TrustedProxies []netip.Prefix
	// ProxyUserHeader holds the subject; ProxyEmailHeader is read when the
	// user header is empty.
	ProxyUserHeader  string
	ProxyEmailHeader string
	// ProxyIssuer is the issuer the proxy's subjects are taken from.
	ProxyIssuer string
	// IAPAudience is the audience IAP signs for, one of iapAudienceForms.
	IAPAudience string
	// IAPJWKSURL is where IAP's keys are fetched.
	IAPJWKSURL string
	// LinkKeys sign and verify links, the first signing; none turns links
	// off.
	LinkKeys [][]byte

	errs []error
}

// BindFlags registers the flags of Config on fs, with defaults taken from
// getenv where set. Errors in values are kept for Validate.
func (c *Config) BindFlags(fs *flag.FlagSet, getenv func(string) string) {
	env := func(key, def string) string { return cmp.Or(getenv(key), def) }
	c.Mode = Mode(env(EnvAuth, string(ModeLoopback)))
	fs.Func("auth", fmt.Sprintf("how callers are identified: %s (env %s, default %s; API keys work in every mode)", joinModes(), EnvAuth, ModeLoopback), func(s string) error {
		c.Mode = Mode(s)
		return nil
	})
	fs.StringVar(&c.OIDCIssuer, "oidc-issuer", getenv(EnvOIDCIssuer), "OpenID provider's issuer URL, for --auth oidc (env "+EnvOIDCIssuer+")")
	fs.StringVar(&c.OIDCAudience, "oidc-audience", getenv(EnvOIDCAudience), "audience tokens must carry: the client id, or the API's identifier for access tokens (env "+EnvOIDCAudience+")")
	c.setProxies(EnvTrustedProxies, getenv(EnvTrustedProxies))
	fs.Func("trusted-proxies", "comma-separated networks (CIDR) whose connections may set the proxy's identity headers, for --auth proxy (env "+EnvTrustedProxies+")", func(s string) error {
		c.TrustedProxies = nil
		c.setProxies("trusted-proxies", s)
		return nil
	})
	fs.StringVar(&c.ProxyUserHeader, "proxy-user-header", env(EnvProxyUserHeader, DefaultProxyUserHeader), "header that holds the proxy's user (env "+EnvProxyUserHeader+")")
	fs.StringVar(&c.ProxyEmailHeader, "proxy-email-header", env(EnvProxyEmailHeader, DefaultProxyEmailHeader), "header read when the user header is empty (env "+EnvProxyEmailHeader+")")
	fs.StringVar(&c.ProxyIssuer, "proxy-issuer", env(EnvProxyIssuer, DefaultProxyIssuer), "issuer the proxy's users are counted under; the proxy's OpenID issuer gives them the owners of --auth oidc (env "+EnvProxyIssuer+")")
	fs.StringVar(&c.IAPAudience, "iap-audience", getenv(EnvIAPAudience), "audience of IAP's assertions, for --auth iap: "+iapAudienceForms+" (env "+EnvIAPAudience+")")
	fs.StringVar(&c.IAPJWKSURL, "iap-jwks-url", env(EnvIAPJWKSURL, DefaultIAPJWKSURL), "where IAP's signing keys are published (env "+EnvIAPJWKSURL+")")
	if v := getenv(EnvLinkKeys); v != "" {
		c.setLinkKeys(EnvLinkKeys, strings.Split(v, ","))
	}
	if f := getenv(EnvLinkKeysFile); f != "" {
		c.readLinkKeys(EnvLinkKeysFile, f)
	}
	fs.Func("link-keys-file", "file of link signing keys, base64, one a line, the first signing; at least 32 bytes each (env "+EnvLinkKeysFile+", or the keys in "+EnvLinkKeys+")", func(s string) error {
		c.LinkKeys = nil
		c.readLinkKeys("link-keys-file", s)
		return nil
	})
}

func (c *Config) setProxies(key, s string) {
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			c.errs = append(c.errs, fmt.Errorf("%s: %q is not a network such as 10.0.0.0/8 or fd00::/8", key, p))
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, prefix.Masked())
	}
}

func (c *Config) readLinkKeys(key, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		c.errs = append(c.errs, fmt.Errorf("%s: %w", key, err))
		return
	}
	c.setLinkKeys(key, strings.Split(string(b), "\n"))
}

func (c *Config) setLinkKeys(key string, lines []string) {
	for i, l := range lines {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		k, err := base64.StdEncoding.DecodeString(l)
		if err != nil {
			// The value is a secret: name its place, not its text.
			c.errs = append(c.errs, fmt.Errorf("%s: key %d is not base64", key, i+1))
			continue
		}
		c.LinkKeys = append(c.LinkKeys, k)
	}
}

// Validate reports every bad setting, each naming its flag and value.
func (c *Config) Validate() error {
	errs := slices.Clone(c.errs)
	if c.Mode == "" {
		c.Mode = ModeLoopback
	}
	if !slices.Contains(Modes, c.Mode) {
		errs = append(errs, fmt.Errorf("auth: %q is not one of %s", c.Mode, joinModes()))
	}
	c.ProxyUserHeader = cmp.Or(c.ProxyUserHeader, DefaultProxyUserHeader)
	c.ProxyEmailHeader = cmp.Or(c.ProxyEmailHeader, DefaultProxyEmailHeader)
	c.ProxyIssuer = cmp.Or(c.ProxyIssuer, DefaultProxyIssuer)
	c.IAPJWKSURL = cmp.Or(c.IAPJWKSURL, DefaultIAPJWKSURL)
	switch c.Mode {
	case ModeOIDC:
		errs = append(errs, checkURL("oidc-issuer", c.OIDCIssuer))
		if c.OIDCAudience == "" {
			errs = append(errs, errors.New("oidc-audience: required with --auth oidc: the client id or API identifier the provider puts in aud"))
		}
	case ModeProxy:
		if len(c.TrustedProxies) == 0 {
			errs = append(errs, errors.New("trusted-proxies: required with --auth proxy: the networks the authenticating proxy connects from, e.g. 10.0.0.0/8"))
		}
		for _, p := range c.TrustedProxies {
			if p.Bits() == 0 {
				errs = append(errs, fmt.Errorf("trusted-proxies: %s trusts every address, so anyone could claim any identity", p))
			}
		}
	case ModeIAP:
		if !strings.HasPrefix(c.IAPAudience, "/projects/") {
			errs = append(errs, fmt.Errorf("iap-audience: %q is not %s", c.IAPAudience, iapAudienceForms))
		}
		errs = append(errs, checkURL("iap-jwks-url", c.IAPJWKSURL))
	}
	for i, k := range c.LinkKeys {
		if len(k) < MinLinkKeyBytes {
			errs = append(errs, fmt.Errorf("link keys: key %d has %d bytes, want at least %d (head -c 32 /dev/urandom | base64)", i+1, len(k), MinLinkKeyBytes))
		}
	}
	return errors.Join(errs...)
}

// checkURL wants https, or http to this machine (a provider in a test or
// beside the gateway): keys fetched in the clear could be swapped.
func checkURL(key, s string) error {
	u, err := url.Parse(s)
	switch {
	case s == "":
		return fmt.Errorf("%s: required", key)
	case err != nil || u.Host == "":
		return fmt.Errorf("%s: %q is not an absolute URL", key, s)
	case u.Scheme == "https", u.Scheme == "http" && isLoopbackHost(u.Hostname()):
		return nil
	}
	return fmt.Errorf("%s: %q must be https (http only to a loopback address)", key, s)
}

func joinModes() string {
	s := make([]string, len(Modes))
	for i, m := range Modes {
		s[i] = string(m)
	}
	return strings.Join(s, "|")
}

// Clock gives the time of day; tests pass their own.
type Clock func() time.Time
