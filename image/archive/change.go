package archive

import (
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// RunConfig is the "config" section of an image config as docker writes it:
// the OCI fields plus docker's OnBuild, which ocispec.ImageConfig lacks.
type RunConfig struct {
	ocispec.ImageConfig
	OnBuild []string `json:"OnBuild,omitempty"`
}

// ChangeInstructions are the Dockerfile instructions `import --change`
// accepts (docker's list).
var ChangeInstructions = []string{"CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"}

// ApplyChanges applies Dockerfile-style lines ("CMD [\"sh\"]", "ENV A=1")
// to cfg in order. Each change is one instruction on one line, so a small
// parser does: BuildKit's Dockerfile parser would drag its dependency tree
// into image/ for ten single-line grammars. Variable substitution ($VAR) is
// not performed, and heredocs and line continuations do not apply.
func ApplyChanges(cfg *RunConfig, changes []string) error {
	for _, line := range changes {
		if err := applyChange(cfg, line); err != nil {
			return fmt.Errorf("change %q: %w", line, err)
		}
	}
	return nil
}

func applyChange(cfg *RunConfig, line string) error {
	line = strings.TrimSpace(line)
	keyword, rest := line, ""
	if i := strings.IndexAny(line, " \t"); i >= 0 {
		keyword, rest = line[:i], line[i+1:]
	}
	rest = strings.TrimSpace(rest)
	instr := strings.ToUpper(keyword)
	if instr == "" {
		return fmt.Errorf("empty instruction: %w", ErrInvalid)
	}
	if rest == "" && instr != "CMD" && instr != "ENTRYPOINT" {
		return fmt.Errorf("%s requires at least one argument: %w", instr, ErrInvalid)
	}
	switch instr {
	case "CMD":
		cfg.Cmd = commandForm(rest)
	case "ENTRYPOINT":
		cfg.Entrypoint = commandForm(rest)
	case "ENV":
		return applyEnv(cfg, rest)
	case "LABEL":
		return applyLabel(cfg, rest)
	case "EXPOSE":
		return applyExpose(cfg, rest)
	case "VOLUME":
		return applyVolume(cfg, rest)
	case "USER":
		cfg.User = rest
	case "WORKDIR":
		cfg.WorkingDir = path.Clean(path.Join("/", cfg.WorkingDir, rest))
		if path.IsAbs(rest) {
			cfg.WorkingDir = path.Clean(rest)
		}
	case "STOPSIGNAL":
		cfg.StopSignal = rest
	case "ONBUILD":
		next, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
		switch strings.ToUpper(next) {
		case "ONBUILD", "FROM", "MAINTAINER":
			return fmt.Errorf("%s is not allowed as an ONBUILD trigger: %w", next, ErrInvalid)
		}
		cfg.OnBuild = append(cfg.OnBuild, rest)
	default:
		return fmt.Errorf("%s is not a valid change command (want one of %s): %w", keyword, strings.Join(ChangeInstructions, ", "), ErrInvalid)
	}
	return nil
}

// commandForm parses CMD/ENTRYPOINT arguments: a JSON string array is the
// exec form; anything else is the shell form, run by /bin/sh -c. An empty
// argument clears the value.
func commandForm(rest string) []string {
	if rest == "" {
		return nil
	}
	if list, ok := jsonArray(rest); ok {
		return list
	}
	return []string{"/bin/sh", "-c", rest}
}

func jsonArray(s string) ([]string, bool) {
	if !strings.HasPrefix(s, "[") {
		return nil, false
	}
	var list []string
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, false
	}
	return list, true
}

// applyEnv handles both `ENV k=v k2="v 2"` and the legacy `ENV k v w`.
func applyEnv(cfg *RunConfig, rest string) error {
	pairs, err := keyValues(rest, true)
	if err != nil {
		return err
	}
	for _, kv := range pairs {
		cfg.Env = setEnv(cfg.Env, kv[0], kv[1])
	}
	return nil
}

func setEnv(env []string, key, val string) []string {
	for i, e := range env {
		if k, _, _ := strings.Cut(e, "="); k == key {
			env[i] = key + "=" + val
			return env
		}
	}
	return append(env, key+"="+val)
}

func applyLabel(cfg *RunConfig, rest string) error {
	pairs, err := keyValues(rest, false)
	if err != nil {
		return err
	}
	if cfg.Labels == nil {
		cfg.Labels = map[string]string{}
	}
	for _, kv := range pairs {
		cfg.Labels[kv[0]] = kv[1]
	}
	return nil
}

// keyValues splits `k=v k2="v 2"`. With legacy set, a first word without
// '=' makes the rest of the line its value (`ENV k some value`).
func keyValues(rest string, legacy bool) ([][2]string, error) {
	words, err := splitWords(rest)
	if err != nil {
		return nil, err
	}
	if len(words) > 0 && !strings.Contains(words[0].raw, "=") {
		if !legacy {
			return nil, fmt.Errorf("%q is not of the form key=value: %w", words[0].raw, ErrInvalid)
		}
		key, value, _ := strings.Cut(rest, " ")
		value = strings.TrimSpace(value)
		if value == "" {
			return nil, fmt.Errorf("%s needs a value: %w", key, ErrInvalid)
		}
		return [][2]string{{key, value}}, nil
	}
	var out [][2]string
	for _, w := range words {
		k, v, ok := strings.Cut(w.text, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%q is not of the form key=value: %w", w.raw, ErrInvalid)
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

type word struct{ raw, text string }

// splitWords splits on unquoted blanks, removing quotes and backslash
// escapes the way the Dockerfile parser does for ENV and LABEL.
func splitWords(s string) ([]word, error) {
	var words []word
	var cur strings.Builder
	start, quote, inWord := 0, rune(0), false
	runes := []rune(s)
	for i := 0; i < len(runes); i++ {
		c := runes[i]
		switch {
		case quote == 0 && (c == ' ' || c == '\t'):
			if inWord {
				words = append(words, word{raw: string(runes[start:i]), text: cur.String()})
				cur.Reset()
				inWord = false
			}
			continue
		case !inWord:
			start, inWord = i, true
		}
		switch {
		case c == '\\' && quote != '\'' && i+1 < len(runes):
			i++
			cur.WriteRune(runes[i])
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
		default:
			cur.WriteRune(c)
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote in %q: %w", s, ErrInvalid)
	}
	if inWord {
		words = append(words, word{raw: string(runes[start:]), text: cur.String()})
	}
	return words, nil
}

// applyExpose records ports as "80/tcp"; "8000-8002" expands to each port.
func applyExpose(cfg *RunConfig, rest string) error {
	if cfg.ExposedPorts == nil {
		cfg.ExposedPorts = map[string]struct{}{}
	}
	for _, p := range strings.Fields(rest) {
		port, proto, _ := strings.Cut(p, "/")
		if proto == "" {
			proto = "tcp"
		}
		proto = strings.ToLower(proto)
		if proto != "tcp" && proto != "udp" && proto != "sctp" {
			return fmt.Errorf("invalid protocol %q in %q: %w", proto, p, ErrInvalid)
		}
		lo, hi, err := portRange(port)
		if err != nil {
			return fmt.Errorf("invalid port %q: %w", p, err)
		}
		for n := lo; n <= hi; n++ {
			cfg.ExposedPorts[strconv.Itoa(n)+"/"+proto] = struct{}{}
		}
	}
	return nil
}

func portRange(s string) (int, int, error) {
	loS, hiS, isRange := strings.Cut(s, "-")
	lo, err := strconv.Atoi(loS)
	if err != nil || lo < 1 || lo > 65535 {
		return 0, 0, ErrInvalid
	}
	hi := lo
	if isRange {
		if hi, err = strconv.Atoi(hiS); err != nil || hi < lo || hi > 65535 {
			return 0, 0, ErrInvalid
		}
	}
	return lo, hi, nil
}

func applyVolume(cfg *RunConfig, rest string) error {
	vols, ok := jsonArray(rest)
	if !ok {
		vols = strings.Fields(rest)
	}
	if cfg.Volumes == nil {
		cfg.Volumes = map[string]struct{}{}
	}
	for _, v := range vols {
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("VOLUME with an empty path: %w", ErrInvalid)
		}
		cfg.Volumes[v] = struct{}{}
	}
	return nil
}
