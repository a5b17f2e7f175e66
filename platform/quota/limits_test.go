package quota

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOverrides(t *testing.T) {
	tests := []struct {
		name, file string
		// want is an error's text, or "" for a file that is read.
		want string
	}{
		{"good", `{"owners": {"ann": {"stored_bytes": 100, "concurrent_jobs": 0}}}`, ""},
		{"unknown quota", `{"owners": {"ann": {"stored_gigabytes": 1}}}`, `owner "ann": unknown quota "stored_gigabytes" (known: stored_bytes, uploads_per_hour, photos_per_job, concurrent_jobs)`},
		{"negative", `{"owners": {"ann": {"uploads_per_hour": -5}}}`, `owner "ann": uploads_per_hour must be 0 (no limit) or more, got -5`},
		{"unknown field", `{"owner": {}}`, `unknown field "owner"`},
		{"not JSON", `owners: ann`, "not a valid overrides file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "quotas.json")
			if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := ReadOverrides(path)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("got %v, want the file read", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func TestLimitsFor(t *testing.T) {
	c := Config{
		Defaults: Limits{StoredBytes: 1000, UploadsPerHour: 10, PhotosPerJob: 5, ConcurrentJobs: 2},
		Owners:   map[string]map[Name]int64{"ann": {StoredBytes: 0, ConcurrentJobs: 7}},
	}
	tests := []struct {
		owner string
		want  Limits
	}{
		{"ann", Limits{StoredBytes: 0, UploadsPerHour: 10, PhotosPerJob: 5, ConcurrentJobs: 7}},
		{"ben", c.Defaults},
	}
	for _, tt := range tests {
		if got := c.For(tt.owner); got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.owner, got, tt.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	c := Config{Defaults: Limits{StoredBytes: -1, PhotosPerJob: -2}}
	err := c.Validate()
	for _, want := range []string{"quota: stored_bytes must be 0 (no limit) or more, got -1", "quota: photos_per_job must be 0 (no limit) or more, got -2"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want an error with %q", err, want)
		}
	}
}
