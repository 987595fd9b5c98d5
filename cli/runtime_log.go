package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
)

// runcLogger writes log lines as runc's logrus does, because containerd's
// shim reads `--log FILE --log-format json` back and reports the last
// {"level":"error","msg":...} line as the runtime's error.
type runcLogger struct {
	w        io.Writer
	json     bool
	debug    bool
	toStderr bool
}

func newRuncLogger(w io.Writer, asJSON, debug bool) *runcLogger {
	return &runcLogger{w: w, json: asJSON, debug: debug, toStderr: true}
}

// setupLog opens --log (append, as runc: the shim reuses one file per
// container) and checks --log-format.
func (rg *runtimeGlobals) setupLog(c *cobra.Command) error {
	rg.logger = newRuncLogger(c.ErrOrStderr(), false, rg.debug)
	switch rg.logFormat {
	case "text":
	case "json":
		rg.logger.json = true
	default:
		return fmt.Errorf("unknown log-format %q", rg.logFormat)
	}
	if rg.log == "" {
		return nil
	}
	f, err := os.OpenFile(rg.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_SYNC, 0o644)
	if err != nil {
		return fmt.Errorf("opening log file: %w", err)
	}
	rg.logger.w, rg.logger.toStderr = f, false
	return nil
}

func (l *runcLogger) errorf(format string, a ...any) { l.write("error", fmt.Sprintf(format, a...)) }

func (l *runcLogger) debugf(format string, a ...any) {
	if l != nil && l.debug {
		l.write("debug", fmt.Sprintf(format, a...))
	}
}

func (l *runcLogger) write(level, msg string) {
	now := time.Now().Format(time.RFC3339)
	if l.json {
		line, _ := json.Marshal(map[string]string{"level": level, "msg": msg, "time": now})
		l.w.Write(append(line, '\n'))
		return
	}
	fmt.Fprintf(l.w, "time=%s level=%s msg=%s\n", logValue(now), level, logValue(msg))
}

// logValue quotes v unless it is made only of the characters logrus's text
// formatter leaves bare.
func logValue(v string) string {
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '-' || r == '.' || r == '_' || r == '/' || r == '@' || r == '^' || r == '+') {
			return fmt.Sprintf("%q", v)
		}
	}
	if v == "" {
		return `""`
	}
	return v
}
