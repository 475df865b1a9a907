package binaries

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// fetcher downloads release files and verifies them against their
// published checksums.
type fetcher struct {
	client *http.Client
	probe  *http.Client
	// stall cuts off a download that has sent nothing for this long.
	stall time.Duration
}

func newFetcher(probeTimeout time.Duration) *fetcher {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 30 * time.Second
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &fetcher{
		client: &http.Client{Transport: t},
		// Any answer at all, a redirect or a 404 too, means the site is
		// reachable; what it serves is the download's business.
		probe: &http.Client{Transport: t, Timeout: probeTimeout, CheckRedirect: noRedirect},
		stall: time.Minute,
	}
}

// reachability probes each site (a URL's scheme and host) once, all at
// the same time, and returns why each unreachable one is.
func (f *fetcher) reachability(ctx context.Context, sites []string) map[string]error {
	out := map[string]error{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, s := range sites {
		wg.Go(func() {
			err := f.reach(ctx, s)
			mu.Lock()
			defer mu.Unlock()
			out[s] = err
		})
	}
	wg.Wait()
	return out
}

func (f *fetcher) reach(ctx context.Context, site string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, site+"/", nil)
	if err != nil {
		return err
	}
	resp, err := f.probe.Do(req)
	if err != nil {
		return shortNetError(err, f.probe.Timeout)
	}
	resp.Body.Close()
	return nil
}

// shortNetError is why a request failed, without the request's URL (the
// caller names the site).
func shortNetError(err error, timeout time.Duration) error {
	var dns *net.DNSError
	var ue *url.Error
	switch {
	case errors.As(err, &dns):
		return fmt.Errorf("DNS: %s", dns.Err)
	case errors.As(err, &ue) && ue.Timeout() && timeout > 0:
		return fmt.Errorf("no answer within %s", timeout)
	case errors.As(err, &ue) && ue.Timeout():
		return errors.New("no answer in time")
	case errors.As(err, &ue):
		return ue.Err
	}
	return err
}

// siteOf is the scheme and host of a URL: what one probe covers.
func siteOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return p.Scheme + "://" + p.Host
}

// hostOf is the host of a URL, which the progress lines name.
func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return u
	}
	return p.Host
}

// get fetches u, which must answer 200. A body that sends nothing for
// f.stall is cut off.
func (f *fetcher) get(ctx context.Context, u string) (io.ReadCloser, error) {
	ctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		cancel()
		return nil, shortNetError(err, 0)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("%s answered %s", u, resp.Status)
	}
	g := &stallGuard{body: resp.Body, stall: f.stall, cancel: cancel}
	g.timer = time.AfterFunc(f.stall, func() {
		g.stalled.Store(true)
		cancel()
	})
	return g, nil
}

// stallGuard cancels a download whose body has sent nothing for stall.
type stallGuard struct {
	body    io.ReadCloser
	stall   time.Duration
	timer   *time.Timer
	stalled atomic.Bool
	cancel  context.CancelFunc
}

func (g *stallGuard) Read(p []byte) (int, error) {
	n, err := g.body.Read(p)
	if g.stalled.Load() {
		return n, fmt.Errorf("no data for %s", g.stall)
	}
	if n > 0 {
		g.timer.Reset(g.stall)
	}
	return n, err
}

func (g *stallGuard) Close() error {
	g.timer.Stop()
	g.cancel()
	return g.body.Close()
}

// install downloads a, checks it against its published checksum and puts
// each member named in dest (binary -> path in the cache) into place. The
// file is downloaded to a temporary file in tmpDir and verified before
// anything is extracted; every binary is written to a temporary file
// beside its destination and renamed into place, so a failure leaves no
// file a later run would trust.
func (f *fetcher) install(ctx context.Context, a artifact, dest map[string]string, tmpDir string) error {
	want, err := f.publishedSum(ctx, a)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return fmt.Errorf("create cache folder: %w", err)
	}
	tmp, err := os.CreateTemp(tmpDir, ".download-"+a.fileName()+"-")
	if err != nil {
		return fmt.Errorf("create download file: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	body, err := f.get(ctx, a.url)
	if err != nil {
		return err
	}
	h := want.hash()
	_, err = io.Copy(io.MultiWriter(tmp, h), body)
	body.Close()
	if err != nil {
		return fmt.Errorf("download %s: %w", a.url, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want.digest {
		return fmt.Errorf("checksum mismatch for %s: %s %s, the published %s says %s", a.fileName(), want.algo, got, path.Base(a.sums), want.digest)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	staged := map[string]string{} // temporary file -> destination
	defer func() {
		for t := range staged {
			os.Remove(t)
		}
	}()
	stage := func(binary string, r io.Reader) error {
		d := dest[binary]
		if err := os.MkdirAll(filepath.Dir(d), 0o755); err != nil {
			return fmt.Errorf("create cache folder: %w", err)
		}
		out, err := os.CreateTemp(filepath.Dir(d), ".download-"+binary+"-")
		if err != nil {
			return err
		}
		staged[out.Name()] = d
		_, err = io.Copy(out, r)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Chmod(out.Name(), 0o755)
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", binary, err)
		}
		return nil
	}
	if err := extract(tmp, a, dest, stage); err != nil {
		return err
	}
	for t, d := range staged {
		// Rename within one file system is atomic: a reader sees no binary or a whole one.
		if err := os.Rename(t, d); err != nil {
			return fmt.Errorf("install %s into the cache: %w", filepath.Base(d), err)
		}
		delete(staged, t)
	}
	return nil
}

// extract hands stage each member of a that dest wants: the file itself
// for a bare binary, else the archive's (gzipped tar) entries.
func extract(file io.Reader, a artifact, dest map[string]string, stage func(binary string, r io.Reader) error) error {
	byPath := map[string]string{}
	for binary := range dest {
		p := a.members[binary]
		if p == "" {
			return stage(binary, file)
		}
		byPath[p] = binary
	}
	gz, err := gzip.NewReader(file)
	if err != nil {
		return fmt.Errorf("%s is not a gzipped archive: %w", a.fileName(), err)
	}
	tr := tar.NewReader(gz)
	for len(byPath) > 0 {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", a.fileName(), err)
		}
		binary, ok := byPath[path.Clean(h.Name)]
		if !ok || h.Typeflag != tar.TypeReg {
			continue
		}
		if err := stage(binary, tr); err != nil {
			return err
		}
		delete(byPath, path.Clean(h.Name))
	}
	if len(byPath) > 0 {
		return fmt.Errorf("%s has no %s", a.fileName(), strings.Join(slices.Sorted(maps.Keys(byPath)), ", "))
	}
	return nil
}

// checksum is a published digest.
type checksum struct{ algo, digest string }

func (c checksum) hash() hash.Hash {
	if c.algo == "sha512" {
		return sha512.New()
	}
	return sha256.New()
}

// publishedSum reads a's checksum file.
func (f *fetcher) publishedSum(ctx context.Context, a artifact) (checksum, error) {
	r, err := f.get(ctx, a.sums)
	if err != nil {
		return checksum{}, err
	}
	defer r.Close()
	body, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return checksum{}, fmt.Errorf("read %s: %w", a.sums, err)
	}
	return parseSum(body, a.fileName(), path.Base(a.sums))
}

// parseSum finds the digest of file in a checksum file: a bare digest,
// or lines of "<digest>  <name>" (a name may carry sha256sum's "*" or a
// "./"), the digest's length saying sha256 or sha512.
func parseSum(body []byte, file, sumsName string) (checksum, error) {
	var digest string
	fields := strings.Fields(string(body))
	if len(fields) == 1 {
		digest = fields[0]
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for digest == "" && sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && path.Base(strings.TrimPrefix(f[1], "*")) == file {
			digest = f[0]
		}
	}
	digest = strings.ToLower(digest)
	if _, err := hex.DecodeString(digest); err != nil || digest == "" {
		return checksum{}, fmt.Errorf("%s gives no checksum for %s", sumsName, file)
	}
	switch len(digest) {
	case 2 * sha256.Size:
		return checksum{"sha256", digest}, nil
	case 2 * sha512.Size:
		return checksum{"sha512", digest}, nil
	}
	return checksum{}, fmt.Errorf("%s gives a %d-digit checksum for %s, neither sha256 nor sha512", sumsName, len(digest), file)
}
