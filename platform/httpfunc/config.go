package httpfunc

import (
	"errors"
	"fmt"
	"net/url"
)

// Environment variables, the same as pixmill up's (platform/stack).
const (
	EnvBucket         = "PIXMILL_BUCKET"
	EnvResponsesTopic = "PIXMILL_RESPONSES_TOPIC"
)

// Config is what the functions open.
type Config struct {
	// Bucket is a gocloud.dev blob URL: originals, results and records.
	Bucket string
	// ResponsesTopic is a gocloud.dev pubsub URL the edit function publishes
	// task.started, task.completed and task.failed to. The results function
	// needs none.
	ResponsesTopic string
}

// LoadConfig reads the configuration from getenv (os.Getenv in a program).
func LoadConfig(getenv func(string) string) Config {
	return Config{Bucket: getenv(EnvBucket), ResponsesTopic: getenv(EnvResponsesTopic)}
}

// validate names every missing or malformed setting that the function
// needs; needTopic is set for the edit function.
func (c Config) validate(needTopic bool) error {
	var errs []error
	check := func(key, v string, required bool) {
		switch {
		case v == "" && required:
			errs = append(errs, fmt.Errorf("%s: a URL is required", key))
		case v != "":
			if u, err := url.Parse(v); err != nil || u.Scheme == "" {
				errs = append(errs, fmt.Errorf("%s: %q is not a URL with a scheme", key, v))
			}
		}
	}
	check(EnvBucket, c.Bucket, true)
	check(EnvResponsesTopic, c.ResponsesTopic, needTopic)
	return errors.Join(errs...)
}
