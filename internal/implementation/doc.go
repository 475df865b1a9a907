// Package implementation runs a Gateway API implementation under test as a
// child process: `--implementation-cmd "CMD ARGS"` is started inside the
// sandbox once the API server is up, with KUBECONFIG and the addresses it
// should use in its environment, its output captured to a log file. It is
// stopped with SIGTERM, then SIGKILL after a grace period, at the end of
// the run and on Ctrl-C; if it exits early, Exited reports it with the
// last lines it printed.
package implementation
