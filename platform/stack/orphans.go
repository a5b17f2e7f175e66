package stack

import (
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// orphanTemp matches the temporary file a file bucket writes an object to
// before renaming it into place (gocloud's fileblob with no_tmp_dir: the
// object's path, a dot, the time in hex, ".tmp"). One is left behind when
// the writer dies mid-write — a worker SIGKILLed while storing a result —
// and the bucket lists it as an object.
var orphanTemp = regexp.MustCompile(`\.[0-9a-f]+\.tmp$`)

// IsInterruptedWrite reports whether key names such a temporary file.
func IsInterruptedWrite(key string) bool { return orphanTemp.MatchString(key) }

// orphanAge is how old a temporary file must be to count as left behind:
// far longer than any write takes.
const orphanAge = 10 * time.Minute

// removeOrphans deletes the temporary files under root older than before,
// and returns how many it deleted.
func removeOrphans(root string, before time.Time) (int, error) {
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil // removed meanwhile
			}
			return err
		}
		if d.IsDir() || !IsInterruptedWrite(d.Name()) {
			return nil
		}
		info, err := d.Info()
		if err != nil || !info.ModTime().Before(before) {
			return nil
		}
		if err := os.Remove(path); err == nil {
			n++
		}
		return nil
	})
	return n, err
}

// cleanOrphans removes left-behind temporary files from the local file
// bucket at root now and then every interval, until ctx ends.
func cleanOrphans(ctx context.Context, root string, every time.Duration, now func() time.Time, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := removeOrphans(root, now().Add(-orphanAge))
		if err != nil {
			log.Warn("removing temporary files left by interrupted writes", "bucket", root, "err", err)
		} else if n > 0 {
			log.Info("removed temporary files left by interrupted writes", "bucket", root, "files", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
