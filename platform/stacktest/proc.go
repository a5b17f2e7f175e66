package stacktest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// CPUTime is the CPU a process has used so far (user and system, all its
// threads), from /proc/PID/stat; 0 if the process is gone.
func CPUTime(pid int) time.Duration {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	// The command name, field 2, may hold spaces: count from after it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	// Linux reports these in USER_HZ, 100 a second on every architecture
	// Go runs on.
	return time.Duration(utime+stime) * (time.Second / 100)
}

// PeakRSS is a process' peak resident memory in bytes (VmHWM), from
// /proc; 0 if it is gone.
func PeakRSS(pid int) int64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(b) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			if f := strings.Fields(string(rest)); len(f) > 0 {
				kib, _ := strconv.ParseInt(f[0], 10, 64)
				return kib << 10
			}
		}
	}
	return 0
}

// Pid is the process id of the running `pixmill up`.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Follow reads the job's event stream (GET /v1/jobs/{id}/events) until its
// end event, and returns the number of events read.
func Follow(ctx context.Context, base, job string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/jobs/"+job+"/events", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("events of job %s: %s", job, resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		if ev, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
			n++
			if ev == "end" {
				return n, nil
			}
		}
	}
	if err := sc.Err(); err != nil {
		return n, err
	}
	return n, fmt.Errorf("events of job %s: the stream closed before its end event", job)
}
