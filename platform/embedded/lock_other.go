//go:build !unix

package embedded

// lockDir does nothing where flock is missing; there, keeping two servers
// off one directory is up to the caller.
func lockDir(string) (unlock func(), err error) { return func() {}, nil }
