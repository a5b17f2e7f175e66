package lint

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

const dockerfile = "../container/Dockerfile"

// parse reads the Dockerfile into stages and fails on any parser warning or
// BuildKit lint finding.
func parse(t *testing.T, path string) []instructions.Stage {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, w := range res.Warnings {
		t.Errorf("%s:%d: %s", path, w.Location.Start.Line, w.Short)
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, url, msg string, loc []parser.Range) {
		line := 0
		if len(loc) > 0 {
			line = loc[0].Start.Line
		}
		t.Errorf("%s:%d: %s: %s (%s)", path, line, rule, msg, url)
	}})
	stages, _, err := instructions.Parse(res.AST, lint)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return stages
}

func TestDockerfile(t *testing.T) {
	stages := parse(t, dockerfile)
	if len(stages) < 2 {
		t.Fatalf("%s has %d stage(s); want a build stage and a runtime stage", dockerfile, len(stages))
	}
	names := map[string]bool{}
	for _, s := range stages {
		if err := checkBase(s.BaseName, names); err != nil {
			t.Errorf("%s: stage %q: %v", dockerfile, s.Name, err)
		}
		names[s.Name] = true
		for _, c := range s.Commands {
			if _, ok := c.(*instructions.HealthCheckCommand); ok {
				t.Errorf("%s: stage %q has a HEALTHCHECK; health is Kubernetes' probes' job", dockerfile, s.Name)
			}
		}
	}

	// The Knative Services run pixmill-function; everything else, pixmill.
	build := stages[0]
	for _, cmd := range []string{"./platform/cmd/pixmill", "./platform/cmd/pixmill-function"} {
		if !slices.ContainsFunc(runs(build), func(r string) bool {
			return strings.Contains(r, "CGO_ENABLED=1") && strings.Contains(r, "go build") && slices.Contains(strings.Fields(r), cmd)
		}) {
			t.Errorf("%s: the first stage does not build %s with CGO_ENABLED=1", dockerfile, cmd)
		}
	}

	final := stages[len(stages)-1]
	if strings.HasPrefix(final.BaseName, "golang:") {
		t.Errorf("%s: the final stage starts from %s; it must not carry the Go toolchain", dockerfile, final.BaseName)
	}
	pkgs := installed(runs(final))
	for _, want := range []string{"libvips42", "ca-certificates"} {
		if !slices.Contains(pkgs, want) {
			t.Errorf("%s: the final stage does not install %s (installs %q)", dockerfile, want, pkgs)
		}
	}
	for _, p := range pkgs {
		if strings.HasSuffix(p, "-dev") || p == "golang" || p == "gcc" || p == "build-essential" {
			t.Errorf("%s: the final stage installs %s, a build dependency", dockerfile, p)
		}
	}
	if err := checkUser(final); err != nil {
		t.Errorf("%s: final stage: %v", dockerfile, err)
	}
	if err := checkEntrypoint(final); err != nil {
		t.Errorf("%s: final stage: %v", dockerfile, err)
	}
}

func TestDockerignore(t *testing.T) {
	b, err := os.ReadFile(dockerfile + ".dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(b))
	for _, want := range []string{".git", "bin", ".cache", "pixmill-data"} {
		if !slices.Contains(lines, want) {
			t.Errorf("%s.dockerignore does not exclude %s", dockerfile, want)
		}
	}
}

// The rule checks, tested on their own so that each failure message is known
// to fire.
func TestRules(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"untagged base", "FROM debian\nUSER 1000\nENTRYPOINT [\"pixmill\"]\n", "no tag"},
		{"latest tag", "FROM debian:latest\nUSER 1000\nENTRYPOINT [\"pixmill\"]\n", "latest"},
		{"root user", "FROM debian:bookworm-slim\nUSER root\nENTRYPOINT [\"pixmill\"]\n", "root"},
		{"named user", "FROM debian:bookworm-slim\nUSER pixmill\nENTRYPOINT [\"pixmill\"]\n", "numeric"},
		{"no user", "FROM debian:bookworm-slim\nENTRYPOINT [\"pixmill\"]\n", "no USER"},
		{"shell entrypoint", "FROM debian:bookworm-slim\nUSER 1000\nENTRYPOINT pixmill up\n", "exec form"},
		{"good", "FROM debian:bookworm-slim\nUSER 10001:10001\nENTRYPOINT [\"pixmill\"]\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "Dockerfile")
			if err := os.WriteFile(path, []byte(tt.src), 0o600); err != nil {
				t.Fatal(err)
			}
			s := parse(t, path)[0]
			got := joinErrs(checkBase(s.BaseName, nil), checkUser(s), checkEntrypoint(s))
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("errors %q, want one containing %q", got, tt.want)
			}
		})
	}
}

func joinErrs(errs ...error) string {
	var b strings.Builder
	for _, e := range errs {
		if e != nil {
			b.WriteString(e.Error() + "; ")
		}
	}
	return b.String()
}

// checkBase accepts an earlier stage's name or an image with a tag that is
// not "latest" (or a digest).
func checkBase(base string, stages map[string]bool) error {
	if stages[base] || base == "scratch" || strings.Contains(base, "@sha256:") {
		return nil
	}
	name := base[strings.LastIndex(base, "/")+1:]
	_, tag, ok := strings.Cut(name, ":")
	switch {
	case !ok:
		return fmt.Errorf("base image %s has no tag", base)
	case tag == "latest":
		return fmt.Errorf("base image %s uses the latest tag", base)
	}
	return nil
}

func checkUser(s instructions.Stage) error {
	var user string
	for _, c := range s.Commands {
		if u, ok := c.(*instructions.UserCommand); ok {
			user = u.User
		}
	}
	uid, _, _ := strings.Cut(user, ":")
	switch {
	case user == "":
		return fmt.Errorf("no USER: the image would run as root")
	case uid == "root" || uid == "0":
		return fmt.Errorf("USER %s is root", user)
	case !regexp.MustCompile(`^[0-9]+$`).MatchString(uid):
		return fmt.Errorf("USER %s is not numeric: Kubernetes' runAsNonRoot cannot verify a name", user)
	}
	return nil
}

func checkEntrypoint(s instructions.Stage) error {
	var ep *instructions.EntrypointCommand
	for _, c := range s.Commands {
		if e, ok := c.(*instructions.EntrypointCommand); ok {
			ep = e
		}
	}
	switch {
	case ep == nil:
		return fmt.Errorf("no ENTRYPOINT")
	case ep.PrependShell:
		return fmt.Errorf("ENTRYPOINT %q is in shell form; use the exec form so that pixmill gets SIGTERM", ep.CmdLine)
	case len(ep.CmdLine) == 0 || filepath.Base(ep.CmdLine[0]) != "pixmill":
		return fmt.Errorf("ENTRYPOINT %q does not run pixmill", ep.CmdLine)
	}
	return nil
}

// runs returns the command lines of a stage's RUN instructions.
func runs(s instructions.Stage) []string {
	var out []string
	for _, c := range s.Commands {
		if r, ok := c.(*instructions.RunCommand); ok {
			out = append(out, strings.Join(r.CmdLine, " "))
		}
	}
	return out
}

// installed lists the packages named after "apt-get install" in run lines.
func installed(runLines []string) []string {
	var pkgs []string
	for _, r := range runLines {
		for _, part := range strings.Split(r, "&&") {
			f := strings.Fields(strings.ReplaceAll(part, "\\", " "))
			i := slices.Index(f, "install")
			if i < 1 || f[i-1] != "apt-get" {
				continue
			}
			for _, w := range f[i+1:] {
				if !strings.HasPrefix(w, "-") {
					pkgs = append(pkgs, w)
				}
			}
		}
	}
	return pkgs
}

// The Cloud Build config builds this Dockerfile, from the repository root,
// with BuildKit (the Dockerfile's cache mounts need it), and pushes what it
// tagged.
func TestCloudBuildConfig(t *testing.T) {
	const config, built = "../container/cloudbuild.yaml", "infra/container/Dockerfile"
	b, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	for _, want := range []string{
		"- --file=" + built,
		"- --tag=${_IMAGE}",
		"- .",
		"- DOCKER_BUILDKIT=1",
		"images:",
		"- ${_IMAGE}",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("%s has no line %q", config, want)
		}
	}
	if _, err := os.Stat(filepath.Join("..", "..", built)); err != nil {
		t.Errorf("%s builds a Dockerfile that is not there: %v", config, err)
	}
}
