package imaging

import "testing"

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		env     map[string]string
		want    Config
		wantErr string
	}{
		{map[string]string{}, Config{Concurrency: 1}, ""},
		{map[string]string{EnvConcurrency: "0"}, Config{Concurrency: 0}, ""},
		{map[string]string{EnvConcurrency: "4"}, Config{Concurrency: 4}, ""},
		{map[string]string{EnvConcurrency: "four"}, Config{}, `imaging: PIXMILL_VIPS_CONCURRENCY must be a whole number, got "four"`},
		{map[string]string{EnvConcurrency: "-1"}, Config{}, "imaging: concurrency (PIXMILL_VIPS_CONCURRENCY) must be between 0 and 256, got -1"},
	}
	for _, tt := range tests {
		got, err := ConfigFromEnv(func(k string) string { return tt.env[k] })
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("env %v: error %v, want %q", tt.env, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("env %v: got %+v, %v; want %+v", tt.env, got, err, tt.want)
		}
	}
}

func TestStartupTwice(t *testing.T) {
	if err := Startup(DefaultConfig()); err == nil {
		t.Error("a second Startup succeeded")
	}
	if err := Startup(Config{Concurrency: -5}); err == nil {
		t.Error("Startup accepted an invalid config")
	}
}
