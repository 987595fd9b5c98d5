package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// TestSyncSendPlainMatchesEncoder: the hand-written form of type-only
// messages is what encoding/json writes, and every message reads back.
func TestSyncSendPlainMatchesEncoder(t *testing.T) {
	msgs := []syncMsg{
		{Type: msgReady}, {Type: msgHooks}, {Type: msgHooksDone},
		{Type: msgError, Error: "boom \"quoted\"", Kind: "invalid"},
		{Type: `odd"type`},
	}
	var got, want bytes.Buffer
	sc := newSyncConn(&got)
	enc := json.NewEncoder(&want)
	for _, m := range msgs {
		if err := sc.send(m); err != nil {
			t.Fatal(err)
		}
		if err := enc.Encode(m); err != nil {
			t.Fatal(err)
		}
	}
	if got.String() != want.String() {
		t.Fatalf("send wrote\n%s\nencoding/json writes\n%s", got.String(), want.String())
	}
	rd := newSyncConn(&got)
	for _, m := range msgs[:3] {
		if _, err := rd.recv(m.Type); err != nil {
			t.Fatalf("recv(%q): %v", m.Type, err)
		}
	}
	if _, err := rd.recv(msgReady); !errors.Is(err, ErrInvalid) {
		t.Fatalf("recv of an error message = %v; want ErrInvalid", err)
	}
}
