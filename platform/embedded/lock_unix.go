//go:build unix

package embedded

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockFile is the file in Dir that one server at a time holds a lock on.
// The NATS server itself would start a second time on the same store and
// both would write to it.
const lockFile = "pixmill-embedded.lock"

// lockDir takes an exclusive, non-blocking lock on dir. The operating system
// drops the lock when the process dies, so a crash never leaves dir locked.
func lockDir(dir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("embedded: dir %q: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("embedded: dir %q is in use by another embedded server", dir)
		}
		return nil, fmt.Errorf("embedded: lock dir %q: %w", dir, err)
	}
	return func() { f.Close() }, nil
}
