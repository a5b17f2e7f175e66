package auth

import (
	"fmt"
	"net"
	"net/netip"
)

// Check refuses to start a gateway that anyone on the network could use as
// its owner: one bound to addr, a host:port as --addr takes it, that is not
// a loopback address, with no authentication configured. The error names
// the flag to add. Every other pairing passes; ModeNone on any address
// passes too, and the caller logs a warning.
func Check(addr string, mode Mode) error {
	if mode != ModeLoopback && mode != "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("addr: %q is not host:port: %w", addr, err)
	}
	if isLoopbackHost(host) {
		return nil
	}
	where := host
	if host == "" {
		where = "every interface"
	}
	return fmt.Errorf("addr: %s listens on %s, which is not loopback, and no authentication is configured: "+
		"add --auth keys|oidc|proxy|iap, or --auth none to accept that anyone who reaches it sees and changes everything", addr, where)
}

// isLoopbackHost reports whether host names this machine only: a loopback
// address, or localhost. Other names are not resolved: what they resolve
// to can change after the check.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
