package active

import (
	"os"
	"os/exec"
	"testing"
)

// The switched-on mutant comes from the environment of the process: a child
// with XBCHECK_MUTANT=a sees a on and b off; a child without it sees none.
func TestOnReadsTheEnvironment(t *testing.T) {
	if id, ok := os.LookupEnv("ACTIVE_TEST_CHILD"); ok {
		if On("a") != (id == "a") || On("b") {
			os.Exit(3)
		}
		return
	}
	for _, id := range []string{"a", ""} {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestOnReadsTheEnvironment$")
		cmd.Env = append(os.Environ(), "ACTIVE_TEST_CHILD="+id)
		if id != "" {
			cmd.Env = append(cmd.Env, Env+"="+id)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("with %s=%q: %v\n%s", Env, id, err, out)
		}
	}
}
