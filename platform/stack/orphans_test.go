package stack

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestRemoveOrphans(t *testing.T) {
	root := t.TempDir()
	now := time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		path string
		age  time.Duration
		kept bool
	}{
		{"results/o/j/t.jpg.18b3f0c2a1d4e5f6.tmp", time.Hour, false}, // left by a killed writer
		{"records/jobs/j/tasks/t/succeeded.json.18b3f0c2a1d4e5f7.tmp", 11 * time.Minute, false},
		{"results/o/j/u.jpg.18b3f0c2a1d4e5f8.tmp", time.Minute, true}, // a write under way
		{"results/o/j/t.jpg", time.Hour, true},                        // an object
		{"originals/o/holiday.tmp", time.Hour, true},                  // not fileblob's pattern
		{"originals/o/notes.ABCDEF.tmp", time.Hour, true},             // upper-case: not its time
	} {
		p := filepath.Join(root, filepath.FromSlash(c.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o640); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-c.age), now.Add(-c.age)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_, err := os.Stat(p)
			if kept := err == nil; kept != c.kept {
				t.Errorf("%s (%s old): kept %v, want %v", c.path, c.age, kept, c.kept)
			}
		})
	}
	n, err := removeOrphans(root, now.Add(-orphanAge))
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("removed %d files, want 2", n)
	}
}
