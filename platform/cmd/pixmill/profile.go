package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
)

// EnvCPUProfile names a file that receives a CPU profile of the process,
// from its start to its exit, for `go tool pprof`. "{pid}" in the name is
// replaced by the process id, so that `pixmill up` and each worker it
// starts (which inherit the variable) write their own. The profiles in
// docs/bench were taken this way.
const EnvCPUProfile = "PIXMILL_CPUPROFILE"

// startProfile starts the CPU profile asked for in the environment, if any;
// stop ends it and closes the file.
func startProfile() (stop func(), err error) {
	path := os.Getenv(EnvCPUProfile)
	if path == "" {
		return func() {}, nil
	}
	path = strings.ReplaceAll(path, "{pid}", strconv.Itoa(os.Getpid()))
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvCPUProfile, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", EnvCPUProfile, err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
