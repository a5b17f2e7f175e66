package imaging

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
)

func TestLogTo(t *testing.T) {
	var buf bytes.Buffer
	log := logTo(slog.New(slog.NewTextHandler(&buf, nil)))
	log("VIPS", vips.LogLevelWarning, "error in tile 0 x 184")
	log("VIPS", vips.LogLevelCritical, "out of memory")
	got := buf.String()
	for _, want := range []string{
		`level=WARN msg="error in tile 0 x 184" domain=VIPS`,
		`level=ERROR msg="out of memory" domain=VIPS`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("log output lacks %q:\n%s", want, got)
		}
	}
	logTo(nil)("VIPS", vips.LogLevelWarning, "dropped") // must not panic
}
