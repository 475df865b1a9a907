// Package roletest lets a test binary play the other processes a test
// needs: a sandbox's parent and child, a node's program, the programs of
// its pods. A test starts the binary again in a role (Command, or RoleEnv
// set for a process a sandbox re-executes); TestMain hands the role to its
// function (Main), which may report what it saw as JSON (Report) for the
// test to read (Read).
//
//	func TestMain(m *testing.M) {
//		roletest.Main(m, map[string]func() int{"node": onNode})
//	}
//
//	cmd := roletest.Command("node", out)
//	err := cmd.Run()
//	var r nodeReport
//	roletest.Read(t, out, &r)
package roletest
