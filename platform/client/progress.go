package client

import (
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
	"time"
)

// progress shows one status line such as "uploading 37/120". On a terminal
// the line is redrawn in place with a bar; anywhere else (a log file, CI)
// it prints plain lines, at most one per interval, so a batch of thousands
// does not flood the log. A nil writer makes every method a no-op.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	interval time.Duration
	now      func() time.Time
	last     time.Time
	shown    string // the line on screen (tty) or last printed
	label    string // of the last plain line, so a new phase shows at once
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, tty: isTerminal(w), interval: 2 * time.Second, now: time.Now}
}

// set updates the status; the first and the last update of a phase
// (done == total) are always shown.
func (p *progress) set(label string, done, total int, note string) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	line := fmt.Sprintf("%s %d/%d%s", label, done, total, note)
	if p.tty {
		line = fmt.Sprintf("%s %s %d/%d%s", label, bar(done, total, 20), done, total, note)
		// Spaces erase what is left of a longer previous line.
		fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", max(0, len(p.shown)-len(line))))
		p.shown = line
		if done >= total {
			fmt.Fprintln(p.w)
			p.shown = ""
		}
		return
	}
	now := p.now()
	newPhase := label != p.label
	if line == p.shown || (!newPhase && done < total && now.Sub(p.last) < p.interval) {
		return
	}
	fmt.Fprintln(p.w, line)
	p.shown, p.label, p.last = line, label, now
}

// printf prints a message on its own line. On a terminal it first blanks
// the bar, which the next update draws again below the message.
func (p *progress) printf(format string, args ...any) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.shown != "" {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", len(p.shown)))
		p.shown = ""
	}
	fmt.Fprintf(p.w, format+"\n", args...)
}

func bar(done, total, width int) string {
	filled := width
	if total > 0 {
		filled = min(width, width*done/total)
	}
	return "[" + strings.Repeat("#", filled) + strings.Repeat(".", width-filled) + "]"
}

// isTerminal reports whether w is a character device such as a terminal;
// that is all the bar needs to know, so no terminal library is needed.
func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Stat() (fs.FileInfo, error) })
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&fs.ModeCharDevice != 0
}
