package imaging

import (
	"fmt"
	"log/slog"
	"strconv"
)

// EnvConcurrency is the environment variable read by [ConfigFromEnv].
const EnvConcurrency = "PIXMILL_VIPS_CONCURRENCY"

// maxConcurrency bounds Concurrency: more threads than this per picture is a
// typo, not a tuning choice.
const maxConcurrency = 256

// Config holds the settings of libvips for this process.
type Config struct {
	// Concurrency is the number of threads libvips uses on one picture; 0
	// lets libvips choose (the number of cores). The default is 1: the fleet
	// scales by worker processes, each on one picture, and more threads per
	// picture would only fight them for the same cores.
	Concurrency int
	// Logger receives libvips' warnings and errors; nil discards them. Less
	// severe messages are always dropped: govips logs every loader at start-up
	// and more per picture.
	Logger *slog.Logger
}

// DefaultConfig returns the settings used when nothing is configured.
func DefaultConfig() Config {
	return Config{Concurrency: 1}
}

// ConfigFromEnv returns DefaultConfig changed by the environment, read
// through getenv (os.Getenv in programs, a map in tests).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := DefaultConfig()
	if s := getenv(EnvConcurrency); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return Config{}, fmt.Errorf("imaging: %s must be a whole number, got %q", EnvConcurrency, s)
		}
		c.Concurrency = n
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate reports the first setting that is out of range.
func (c Config) Validate() error {
	if c.Concurrency < 0 || c.Concurrency > maxConcurrency {
		return fmt.Errorf("imaging: concurrency (%s) must be between 0 and %d, got %d", EnvConcurrency, maxConcurrency, c.Concurrency)
	}
	return nil
}
