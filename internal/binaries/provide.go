package binaries

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// provide puts into the cache entry every binary of recipes it lacks,
// downloaded or built as opts.Mode says, and says first which way it took
// and why. It returns the [Set]'s Source.
func provide(ctx context.Context, opts Options, what string, recipes []recipe) (string, error) {
	entry := opts.CacheEntry()
	var missing []recipe
	for _, r := range recipes {
		if !isExecutable(filepath.Join(entry, r.dir, r.binary)) {
			missing = append(missing, r)
		}
	}
	if len(missing) == 0 {
		fmt.Fprintf(opts.Progress, "%s: cached in %s (nothing to download or build)\n", what, entry)
		return "cache", nil
	}
	toBuild, downloaded := missing, false
	if opts.Mode == ModeBuild {
		fmt.Fprintf(opts.Progress, "%s: not cached; building %s from the Go module proxy (--binaries build)\n", what, names(missing))
	} else {
		fmt.Fprintf(opts.Progress, "%s: not cached; downloading from the official release sites (--binaries %s)\n", what, opts.Mode)
		var err error
		if toBuild, downloaded, err = download(ctx, opts, missing); err != nil {
			return "", err
		}
	}
	for _, r := range toBuild {
		if err := opts.build(ctx, opts, r, filepath.Join(entry, r.dir)); err != nil {
			return "", err
		}
	}
	switch {
	case downloaded && len(toBuild) > 0:
		return "downloaded and built", nil
	case downloaded:
		return "downloaded", nil
	}
	return "built", nil
}

// download fetches the release file of each missing binary, probing each
// site once first, and returns what is left to build: xbcheck's own
// programs, and in ModeAuto whatever could not be downloaded (each said in
// one line). In ModeDownload a failed download is the error.
func download(ctx context.Context, opts Options, missing []recipe) (toBuild []recipe, downloaded bool, err error) {
	type job struct {
		a       artifact
		recipes []recipe
	}
	var jobs []*job
	building := map[string]bool{} // binaries to build instead
	fallBack := func(rs []recipe, why string) error {
		if opts.Mode == ModeDownload {
			return fmt.Errorf("--binaries download: %s; give --binaries auto or build to build %s from the Go module proxy instead", why, names(rs))
		}
		fmt.Fprintf(opts.Progress, "%s: building %s from the Go module proxy instead\n", why, names(rs))
		for _, r := range rs {
			building[r.binary] = true
		}
		return nil
	}
	for _, r := range missing {
		if r.source != nil {
			// xbcheck's own program: built from its embedded source in seconds.
			building[r.binary] = true
			continue
		}
		a, err := releaseOf(opts.Sites, r.binary, runtime.GOOS, runtime.GOARCH)
		if err != nil {
			if err := fallBack([]recipe{r}, err.Error()); err != nil {
				return nil, false, err
			}
			continue
		}
		i := slices.IndexFunc(jobs, func(j *job) bool { return j.a.url == a.url })
		if i < 0 {
			jobs = append(jobs, &job{a: a})
			i = len(jobs) - 1
		}
		jobs[i].recipes = append(jobs[i].recipes, r)
	}

	f := newFetcher(opts.ProbeTimeout)
	var sites []string
	for _, j := range jobs {
		if s := siteOf(j.a.url); !slices.Contains(sites, s) {
			sites = append(sites, s)
		}
	}
	unreachable := f.reachability(ctx, sites)
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	for _, s := range sites {
		if unreachable[s] == nil {
			continue
		}
		var rs []recipe
		for _, j := range jobs {
			if siteOf(j.a.url) == s {
				rs = append(rs, j.recipes...)
			}
		}
		if err := fallBack(rs, fmt.Sprintf("%s unreachable (%v)", hostOf(s), unreachable[s])); err != nil {
			return nil, false, err
		}
	}

	entry := opts.CacheEntry()
	for _, j := range jobs {
		if unreachable[siteOf(j.a.url)] != nil {
			continue
		}
		start := time.Now()
		fmt.Fprintf(opts.Progress, "downloading %s from %s (checked against its published %s)\n", names(j.recipes), hostOf(j.a.url), path.Base(j.a.sums))
		dest := map[string]string{}
		for _, r := range j.recipes {
			dest[r.binary] = filepath.Join(entry, r.dir, r.binary)
		}
		if err := f.install(ctx, j.a, dest, entry); err != nil {
			if ctx.Err() != nil {
				return nil, false, ctx.Err()
			}
			if err := fallBack(j.recipes, fmt.Sprintf("%s from %s: %v", names(j.recipes), hostOf(j.a.url), err)); err != nil {
				return nil, false, err
			}
			continue
		}
		downloaded = true
		fmt.Fprintf(opts.Progress, "downloaded %s in %s\n", names(j.recipes), time.Since(start).Round(100*time.Millisecond))
	}
	for _, r := range missing {
		if building[r.binary] {
			toBuild = append(toBuild, r)
		}
	}
	return toBuild, downloaded, nil
}

// names lists recipes' binaries with their versions: "containerd, ctr
// v2.4.2 and etcd v3.6.16".
func names(rs []recipe) string {
	var parts []string
	for i, r := range rs {
		if i+1 < len(rs) && rs[i+1].version == r.version {
			parts = append(parts, r.binary)
			continue
		}
		parts = append(parts, r.binary+" "+r.version)
	}
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}
