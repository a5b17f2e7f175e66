package client

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

type step struct {
	after       time.Duration // since the previous step
	label       string
	done, total int
	note        string
	message     string // printed with printf instead of a status when set
}

func TestProgress(t *testing.T) {
	tests := []struct {
		name  string
		tty   bool
		steps []step
		want  string
	}{
		{
			name: "plain lines at most every interval, a phase's first and last always",
			steps: []step{
				{label: "uploading", done: 1, total: 4},
				{after: time.Second, label: "uploading", done: 2, total: 4},
				{after: 1500 * time.Millisecond, label: "uploading", done: 3, total: 4},
				{after: time.Millisecond, label: "uploading", done: 4, total: 4},
				{after: time.Millisecond, label: "processing", done: 0, total: 4},
				{after: 5 * time.Second, label: "processing", done: 0, total: 4},
				{after: time.Millisecond, message: "failed a.jpg: no face"},
				{after: time.Second, label: "processing", done: 4, total: 4, note: " (1 failed)"},
			},
			want: "uploading 1/4\nuploading 3/4\nuploading 4/4\nprocessing 0/4\nfailed a.jpg: no face\nprocessing 4/4 (1 failed)\n",
		},
		{
			name: "terminal redraws one line",
			tty:  true,
			steps: []step{
				{label: "uploading", done: 1, total: 4, note: " (1 failed)"},
				{label: "uploading", done: 2, total: 4},
				{message: "rejected b.txt: not an image"},
				{label: "uploading", done: 4, total: 4},
			},
			want: "\ruploading [#####...............] 1/4 (1 failed)" +
				"\ruploading [##########..........] 2/4           " +
				"\r" + strings.Repeat(" ", 36) + "\rrejected b.txt: not an image\n" +
				"\ruploading [####################] 4/4\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
			p := newProgress(&buf)
			p.tty, p.now = tt.tty, func() time.Time { return now }
			for _, s := range tt.steps {
				now = now.Add(s.after)
				if s.message != "" {
					p.printf("%s", s.message)
				} else {
					p.set(s.label, s.done, s.total, s.note)
				}
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("output:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestProgressQuietWithoutWriter(t *testing.T) {
	p := newProgress(nil)
	p.set("uploading", 1, 2, "")
	p.printf("nothing %d", 1)
}

func TestIsTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) || isTerminal(&bytes.Buffer{}) {
		t.Error("a regular file or a buffer was taken for a terminal")
	}
}
