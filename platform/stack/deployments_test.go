package stack_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pixmill/pixmill/platform/stacktest"
)

// repoFile reads a file of the repository, such as a deployment definition
// under infra/, by its path from the module root.
func repoFile(t *testing.T, path ...string) []byte {
	t.Helper()
	root, err := stacktest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(append([]string{root}, path...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
