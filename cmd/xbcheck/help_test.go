package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Every flag of every command says what it is for, in words a user reads
// in --help: pflag turns the first `quoted` word of a usage into the
// value's placeholder, so usages hold no backticks.
func TestFlagsReadWellInHelp(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			where := c.CommandPath() + " --" + f.Name
			switch {
			case strings.TrimSpace(f.Usage) == "":
				t.Errorf("%s has no usage text", where)
			case strings.Contains(f.Usage, "`"):
				t.Errorf("%s: usage %q has a backtick, which --help shows as the value's name", where, f.Usage)
			}
		})
		if c.Short == "" && !c.Hidden {
			t.Errorf("%s has no one-line description", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCommand())
}
