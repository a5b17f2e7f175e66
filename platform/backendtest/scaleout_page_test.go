package backendtest

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pixmill/pixmill/platform/stacktest"
)

// TestScaleOutPage checks, without servers, that the page has the three
// commands and sets, for each broker, the variables TestScaleOut sets.
func TestScaleOutPage(t *testing.T) {
	page := readScaleOutPage(t)
	for _, b := range scaleOutBrokers() {
		if err := page.sameAsTest(b, b.env("id"), scaleOutCommon(s3URL("bucket"), b)); err != nil {
			t.Error(err)
		}
	}
}

// scaleOutCommon is the environment every broker's scenario shares.
func scaleOutCommon(bucket string, b scaleOutBroker) map[string]string {
	return map[string]string{
		"PIXMILL_BUCKET":       bucket,
		"PIXMILL_ACK_WAIT":     b.ackWait.String(),
		"PIXMILL_MAX_ATTEMPTS": strconv.Itoa(MaxAttempts),
	}
}

func (d scaleOutDoc) sameAsTest(b scaleOutBroker, env, common map[string]string) error {
	if err := errors.Join(sameVariables("common", d.env["common"], common), sameVariables(b.block, d.env[b.block], env)); err != nil {
		return fmt.Errorf("%s and the test set different variables: %w", scaleOutPage, err)
	}
	return nil
}

// scaleOutDoc is what the test takes from the page: the environment blocks
// (marked <!-- scale-out:env NAME -->) and the commands block (marked
// <!-- scale-out:commands -->), each command's arguments by subcommand.
type scaleOutDoc struct {
	env      map[string]map[string]string
	commands map[string][]string
}

func readScaleOutPage(t *testing.T) scaleOutDoc {
	t.Helper()
	root, err := stacktest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, scaleOutPage))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := parseScaleOutPage(string(b))
	if err != nil {
		t.Fatalf("%s: %v", scaleOutPage, err)
	}
	return doc
}

var marker = regexp.MustCompile(`^<!-- scale-out:(env (\S+)|commands) -->$`)

func parseScaleOutPage(page string) (scaleOutDoc, error) {
	doc := scaleOutDoc{env: map[string]map[string]string{}, commands: map[string][]string{}}
	lines := strings.Split(page, "\n")
	for i := 0; i < len(lines); i++ {
		m := marker.FindStringSubmatch(strings.TrimSpace(lines[i]))
		if m == nil {
			continue
		}
		if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "```") {
			return doc, fmt.Errorf("line %d: %s is not followed by a code block", i+1, m[0])
		}
		var block []string
		for i += 2; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
			if l := strings.TrimSpace(lines[i]); l != "" && !strings.HasPrefix(l, "#") {
				block = append(block, l)
			}
		}
		if m[2] != "" {
			env := map[string]string{}
			for _, l := range block {
				k, v, ok := strings.Cut(strings.TrimPrefix(l, "export "), "=")
				if !ok {
					return doc, fmt.Errorf("env %s: %q is not export NAME=VALUE", m[2], l)
				}
				env[k] = strings.Trim(v, "'\"")
			}
			doc.env[m[2]] = env
			continue
		}
		for _, l := range block {
			f := strings.Fields(l)
			if len(f) < 2 || f[0] != "pixmill" {
				return doc, fmt.Errorf("commands: %q is not a pixmill command", l)
			}
			doc.commands[f[1]] = f[2:]
		}
	}
	for _, cmd := range []string{"provision", "up", "worker"} {
		if _, ok := doc.commands[cmd]; !ok {
			return doc, fmt.Errorf("no `pixmill %s` in the commands block", cmd)
		}
	}
	return doc, nil
}

// sameVariables checks that the page's block sets the PIXMILL_* variables
// the test sets, with values of the same form: the same URL scheme and query
// parameters, or a value that parses alike.
func sameVariables(block string, page, test map[string]string) error {
	var errs []error
	var pageKeys, testKeys []string
	for k := range page {
		if strings.HasPrefix(k, "PIXMILL_") {
			pageKeys = append(pageKeys, k)
		}
	}
	for k := range test {
		testKeys = append(testKeys, k)
	}
	slices.Sort(pageKeys)
	slices.Sort(testKeys)
	if !slices.Equal(pageKeys, testKeys) {
		return fmt.Errorf("block %s sets %v, the test %v", block, pageKeys, testKeys)
	}
	for _, k := range testKeys {
		if a, b := form(k, page[k]), form(k, test[k]); a != b {
			errs = append(errs, fmt.Errorf("block %s: %s is %q on the page (%s), %q in the test (%s)", block, k, page[k], a, test[k], b))
		}
	}
	return errors.Join(errs...)
}

// form is the shape of the value of key: a queue URL's scheme and query
// parameter names (the bucket's parameters are the S3 server's business),
// or whether it is a duration or a number.
func form(key, v string) string {
	if _, err := time.ParseDuration(v); err == nil {
		return "duration"
	}
	if _, err := strconv.Atoi(v); err == nil {
		return "number"
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" {
		return "text"
	}
	if key == "PIXMILL_BUCKET" {
		return u.Scheme + "://"
	}
	var keys []string
	for k := range u.Query() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return u.Scheme + "://?" + strings.Join(keys, "&")
}
