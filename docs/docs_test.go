// Package docs holds pixmill's reference pages. Its test keeps them honest:
// every link in the README and in docs/ resolves, and the tables that
// restate a fact of the code (error statuses, formats, routes) say what the
// code says.
package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"gocloud.dev/blob/memblob"
	"gocloud.dev/pubsub/mempubsub"

	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/events/imagetype"
	"github.com/pixmill/pixmill/platform/gateway"
)

// pages are the Markdown files checked, relative to the module root.
func pages(t *testing.T) []string {
	t.Helper()
	ps, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{"../README.md"}, ps...)
}

var (
	linkRE    = regexp.MustCompile(`!?\[[^\]]*\]\(([^)\s]+)\)`)
	headingRE = regexp.MustCompile(`(?m)^#{1,6} +(.+?) *$`)
	fenceRE   = regexp.MustCompile("(?ms)^```.*?^```")
)

// slug is the anchor GitHub gives a heading: lower case, punctuation
// dropped, spaces as hyphens.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

// anchors are the anchors of a page's headings, with GitHub's -1, -2 …
// for repeats.
func anchors(t *testing.T, page string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	seen := map[string]int{}
	for _, m := range headingRE.FindAllStringSubmatch(fenceRE.ReplaceAllString(string(b), ""), -1) {
		s := slug(m[1])
		if n := seen[s]; n > 0 {
			out[s+"-"+strconv.Itoa(n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}

func TestLinksResolve(t *testing.T) {
	checked := 0
	for _, page := range pages(t) {
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		text := fenceRE.ReplaceAllString(string(b), "")
		for _, m := range linkRE.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			checked++
			file, anchor, _ := strings.Cut(target, "#")
			dest := page
			if file != "" {
				dest = filepath.Join(filepath.Dir(page), file)
				if _, err := os.Stat(dest); err != nil {
					t.Errorf("%s: link %q: %v", page, target, err)
					continue
				}
			}
			if anchor != "" && !anchors(t, dest)[anchor] {
				t.Errorf("%s: link %q: %s has no heading with that anchor", page, target, dest)
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d links checked: is the link pattern still right?", checked)
	}
}

// table returns the rows of the first table after heading in page, cells
// trimmed, header and rule left out.
func table(t *testing.T, page, heading string) [][]string {
	t.Helper()
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("%s has no %q", page, heading)
	}
	var rows [][]string
	started := false
	for _, line := range strings.Split(rest, "\n") {
		if !strings.HasPrefix(line, "|") {
			if started {
				break
			}
			continue
		}
		started = true
		var cells []string
		for _, c := range strings.Split(strings.Trim(line, "|"), "|") {
			cells = append(cells, strings.Trim(strings.TrimSpace(c), "`"))
		}
		rows = append(rows, cells)
	}
	if len(rows) < 3 {
		t.Fatalf("%s, %s: no table", page, heading)
	}
	return rows[2:]
}

func TestErrorStatusesAsDocumented(t *testing.T) {
	rows := table(t, "api.md", "## Errors")
	documented := map[string][2]string{}
	for _, r := range rows {
		documented[r[0]] = [2]string{r[1], r[2]}
	}
	for _, s := range fault.Statuses() {
		want := [2]string{strconv.Itoa(s.API), strconv.Itoa(s.Push)}
		if got, ok := documented[string(s.Kind)]; !ok || got != want {
			t.Errorf("kind %s: docs/api.md says %v, the code %v", s.Kind, got, want)
		}
		delete(documented, string(s.Kind))
	}
	if got, want := documented["a panic"], [2]string{strconv.Itoa(fault.PanicStatus), strconv.Itoa(fault.PanicStatus)}; got != want {
		t.Errorf("a panic: docs/api.md says %v, the code %v", got, want)
	}
	delete(documented, "a panic")
	for k := range documented {
		t.Errorf("docs/api.md documents %q, which is no kind", k)
	}
}

func TestFormatsAsDocumented(t *testing.T) {
	rows := table(t, "api.md", "## Formats")
	all := imagetype.All()
	if len(rows) != len(all) {
		t.Fatalf("docs/api.md lists %d formats, the table %d", len(rows), len(all))
	}
	yes := map[bool]string{true: "yes", false: "no"}
	for i, ty := range all {
		var others []string
		for _, e := range ty.Extensions[1:] {
			others = append(others, "."+e)
		}
		want := []string{ty.Name, ty.Ext(), strings.Join(others, "`, `"), ty.MIME, yes[ty.Lossy], yes[ty.Alpha]}
		if got := rows[i]; strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("row %d: docs/api.md says %q, the code %q", i, got, want)
		}
	}
}

func TestRoutesAsDocumented(t *testing.T) {
	b, err := os.ReadFile("api.md")
	if err != nil {
		t.Fatal(err)
	}
	topic := mempubsub.NewTopic()
	bucket := memblob.OpenBucket(nil)
	defer bucket.Close()
	gw, err := gateway.New(gateway.Config{}, gateway.Deps{Bucket: bucket, Requests: topic})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range append(gw.OwnedRoutes(), "GET /v1/ops", "GET /healthz") {
		if !strings.Contains(string(b), "| `"+p+"` |") {
			t.Errorf("docs/api.md's routes lack %q", p)
		}
	}
}
