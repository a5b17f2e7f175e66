package backendtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// workers returns the process ids of the workers of the pixmill up that runs
// on data: the children of the process whose command line holds
// "up --data DATA". Each test has its own data directory, so only that
// test's processes match.
func workers(data string) []int {
	var up int
	procs := map[int]int{} // pid → parent pid
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		pid, err := strconv.Atoi(filepath.Base(dir))
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(bytes.TrimRight(cmdline, "\x00")), "\x00")
		if len(args) > 3 && args[1] == "up" && args[2] == "--data" && args[3] == data {
			up = pid
		}
		stat, err := os.ReadFile(filepath.Join(dir, "stat"))
		if err != nil {
			continue
		}
		// The parent pid is the second field after the command name, which
		// is in parentheses and may hold spaces.
		if i := bytes.LastIndexByte(stat, ')'); i > 0 {
			if f := strings.Fields(string(stat[i+1:])); len(f) > 1 {
				procs[pid], _ = strconv.Atoi(f[1])
			}
		}
	}
	var out []int
	for pid, parent := range procs {
		if up != 0 && parent == up {
			out = append(out, pid)
		}
	}
	return out
}

// kill sends SIGKILL to each pid: no deferred call, no nack, as a machine
// losing power would.
func kill(pids []int) {
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}
