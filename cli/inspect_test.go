package cli

import (
	"bytes"
	"encoding/json"
	"testing"
	"text/template"

	ctypes "github.com/moby/moby/api/types/container"
)

func inspectFixture(t *testing.T) []inspected {
	t.Helper()
	v := &ctypes.InspectResponse{
		ID: "abc", Name: "/web", State: &ctypes.State{Status: "running", Running: true},
		Config: &ctypes.Config{Labels: map[string]string{"com.example": "x"}, Cmd: []string{"sleep", "100"}},
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return []inspected{{typed: v, raw: raw}}
}

func TestInspectJSONLayout(t *testing.T) {
	b, err := inspectJSON(inspectFixture(t), true)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("[\n    {\n        \"Id\": \"abc\",\n")) || !bytes.HasSuffix(b, []byte("    }\n]\n")) {
		t.Errorf("layout:\n%s", b)
	}
	if b, _ := inspectJSON(nil, true); string(b) != "[]\n" {
		t.Errorf("empty: %q", b)
	}
	if b, _ := inspectJSON(inspectFixture(t), false); !bytes.HasPrefix(b, []byte(`[{"Id":"abc",`)) || bytes.Count(b, []byte("\n")) != 1 {
		t.Errorf("json: %s", b)
	}
}

func TestInspectTemplate(t *testing.T) {
	for format, want := range map[string]string{
		"{{.State.Status}}":                      "running\n",
		`{{index .Config.Labels "com.example"}}`: "x\n",
		"{{json .Config.Cmd}}":                   "[\"sleep\",\"100\"]\n",
		"{{.Name}} {{.State.Running}}":           "/web true\n",
		// a field only the JSON has falls back to the decoded map
		"{{.Id}}": "abc\n",
	} {
		var buf bytes.Buffer
		tmpl, err := template.New("").Funcs(rowTemplateFuncs()).Parse(format)
		if err != nil {
			t.Fatal(err)
		}
		if err := inspectTemplate(&buf, tmpl, inspectFixture(t)[0]); err != nil {
			t.Errorf("%s: %v", format, err)
		}
		if buf.String() != want {
			t.Errorf("%s: %q, want %q", format, buf.String(), want)
		}
	}
}

func TestInspectTemplateMissingKey(t *testing.T) {
	var buf bytes.Buffer
	tmpl := template.Must(template.New("").Parse("{{.NoSuchField}}"))
	if err := inspectTemplate(&buf, tmpl, inspectFixture(t)[0]); err == nil {
		t.Errorf("missing key rendered %q", buf.String())
	}
}

func TestNotFoundMessages(t *testing.T) {
	for kind, want := range map[string]string{"": "No such object: x", "container": "No such container: x", "image": "No such image: x", "volume": "No such volume: x"} {
		if got := notFoundMessage(kind, "x"); got != want {
			t.Errorf("%q: %q", kind, got)
		}
	}
}
