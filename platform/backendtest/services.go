package backendtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pixmill/pixmill/platform/stacktest"
)

// Where the services of scripts/start-services.sh listen.
const (
	NATSAddr   = "127.0.0.1:4222"
	RabbitAddr = "127.0.0.1:5672"
	PubSubAddr = "127.0.0.1:8085"
	S3Addr     = "127.0.0.1:9340"
)

// Env is what every pixmill process needs to reach the services: gocloud.dev's
// drivers take their connections from the environment. SetEnv sets what is
// not set already; call it from TestMain, before any test starts pixmill.
var Env = map[string]string{
	"RABBIT_SERVER_URL":     "amqp://guest:guest@" + RabbitAddr + "/",
	"PUBSUB_EMULATOR_HOST":  PubSubAddr,
	"AWS_ACCESS_KEY_ID":     "pixmill",
	"AWS_SECRET_ACCESS_KEY": "pixmill-test-secret",
}

// SetEnv sets Env in the process environment, keeping values already set.
func SetEnv() {
	for k, v := range Env {
		if os.Getenv(k) == "" {
			os.Setenv(k, v)
		}
	}
}

var started sync.Map // service name → error of the start attempt

// Need makes sure service listens on addr, starting it with
// scripts/start-services.sh once per test binary if it does not. When it
// cannot be had the test is skipped, or failed under CI.
func Need(t testing.TB, service, addr string) {
	t.Helper()
	if listening(addr) {
		return
	}
	v, _ := started.LoadOrStore(service, sync.OnceValue(func() error { return startService(service) }))
	err := v.(func() error)()
	if err == nil && listening(addr) {
		return
	}
	msg := fmt.Sprintf("%s is not reachable on %s and scripts/start-services.sh %s could not start it: %v", service, addr, service, err)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func listening(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func startService(service string) error {
	root, err := stacktest.ModuleRoot()
	if err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(root, "scripts", "start-services.sh"), service)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	return nil
}
