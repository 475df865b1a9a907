package active

import (
	"os"
	"sync"
)

// Env names the environment variable holding the switched-on mutant's ID.
const Env = "XBCHECK_MUTANT"

// selected is the mutant ID of this process, read once from [Env]; it never
// changes afterwards.
var selected = sync.OnceValue(func() string { return os.Getenv(Env) })

// On reports whether the mutant id is the one switched on in this process.
func On(id string) bool { return id == selected() }
