package auth_test

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pixmill/pixmill/platform/auth"
)

// docs/auth.md's flag table lists exactly the flags BindFlags binds, each
// with the environment variable its help names.
func TestDocsListEveryFlag(t *testing.T) {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	new(auth.Config).BindFlags(fs, func(string) string { return "" })
	envRE := regexp.MustCompile(`env (PIXMILL_[A-Z_]+)`)
	code := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) {
		m := envRE.FindStringSubmatch(f.Usage)
		if m == nil {
			t.Errorf("--%s names no environment variable in its help", f.Name)
			return
		}
		code["--"+f.Name] = m[1]
	})

	b, err := os.ReadFile("../../docs/auth.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "\n### Flags\n")
	if !ok {
		t.Fatal("docs/auth.md has no ### Flags")
	}
	rowRE := regexp.MustCompile("(?m)^\\| `(--[a-z-]+)` \\| `(PIXMILL_[A-Z_]+)` \\|")
	docs := map[string]string{}
	for _, m := range rowRE.FindAllStringSubmatch(table, -1) {
		docs[m[1]] = m[2]
	}
	if diff := cmp.Diff(code, docs); diff != "" {
		t.Errorf("flags and their environment variables (-code +docs/auth.md):\n%s", diff)
	}
}
