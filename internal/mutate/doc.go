// Package mutate proves the suite catches every fault of the reference
// gateway: it runs the suite once against the unmutated gateway, which must
// pass every MUST and SHOULD spec, then once per fault (a mutant), and
// reports which specs killed each mutant.
//
// Ginkgo runs specs once per process, so every run is a child process
// (`xbcheck run --kubeconfig ... --faults F --fail-fast`), all sharing one
// control plane. Parallel children share one network sandbox too: each
// gets its own [sandbox.Slot] of the Gateway and DNS addresses and its own
// GatewayClass controllerName, so no child's gateway serves another's.
//
//	report, err := mutate.Run(ctx, mutate.Options{
//		Kubeconfig: c.Kubeconfig, Faults: faults.All(), Parallel: 2,
//		Launch: mutate.Exec(os.Args[0]), WorkDir: "_out/mutate", Progress: os.Stdout,
//	})
//	report.WriteTable(os.Stdout)     // ends with "mutants: K killed, S survived"
//	report.WriteMarkdown(w)          // the kill matrix of docs/kill-matrix.md
//
// A mutant is killed when at least one MUST or SHOULD spec fails against it.
//
// The mirror of faults are the choices (reference/faults.Choices): what
// the API leaves to the implementation. [RunChoices] runs the suite once
// per choice and once with every compatible choice at once ([PlanChoices]),
// each run to its end; a MUST or SHOULD spec that fails on a choice is a
// false failure, and the table ends with "choices: N passed, F failed".
package mutate
