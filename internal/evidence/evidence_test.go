package evidence

import (
	"os"
	"reflect"
	"testing"

	"github.com/xbcheck/xbcheck/fakes/canary"
)

func TestWriteReadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	doc := Doc{ShortName: "RebindLoopback", Notes: []string{"+0.10s reached"}, Canaries: map[string][]canary.Hit{"127.0.0.1": {{Seq: 1, Peer: "127.0.0.1:5"}}}}
	if err := Write(dir, doc); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir, "RebindLoopback")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, doc) {
		t.Fatalf("read back %+v, want %+v", *got, doc)
	}
	if _, err := Read(dir, "Absent"); !os.IsNotExist(err) {
		t.Fatalf("an absent file: %v, want a not-exist error", err)
	}
	if err := os.WriteFile(path(dir, "Edited"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(dir, "Edited"); err == nil || os.IsNotExist(err) {
		t.Fatalf("a broken file: %v, want a decoding error", err)
	}
}
