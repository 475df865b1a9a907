package report

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// chromiumPath is Debian's headless-capable Chromium.
const chromiumPath = "/usr/bin/chromium"

// chromium runs headless Chromium, with nothing that reaches the network,
// on the page at path, and returns its standard output.
func chromium(t *testing.T, path string, args ...string) []byte {
	t.Helper()
	// A safeguard against a hung browser, not a speed check.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args = append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + t.TempDir()}, args...)
	cmd := exec.CommandContext(ctx, chromiumPath, append(args, "file://"+path)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// TestReportRendersInChromium renders a report with one failing MUST spec
// in headless Chromium: the screenshot must show a page (not a blank or
// single-colour image) with the failure's red header, and the rendered DOM
// must hold the failing spec's evidence, expanded. With
// XBCHECK_REPORT_SCREENSHOT=FILE the screenshot is also copied there.
func TestReportRendersInChromium(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s is absent, so report.html cannot be checked in a browser; install Debian's chromium (apt-get install -y chromium)", chromiumPath)
	}
	dir := t.TempDir()
	if _, err := Write(dir, fixture(t, dir)); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, HTMLFile)
	shot := filepath.Join(dir, "report.png")
	chromium(t, page, "--screenshot="+shot, "--window-size=1280,2000")

	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 2000 {
		t.Errorf("screenshot is %dx%d, want 1280x2000", b.Dx(), b.Dy())
	}
	if n := colours(img); n < 16 {
		t.Errorf("screenshot has %d colours: the page did not render", n)
	}
	// The header of a failed run is red (#a3262a).
	if r, g, b, _ := img.At(20, 20).RGBA(); r>>8 < 0x90 || g>>8 > 0x50 || b>>8 > 0x50 {
		t.Errorf("header pixel is rgb(%d,%d,%d), want the red of a failed run", r>>8, g>>8, b>>8)
	}
	if out := os.Getenv("XBCHECK_REPORT_SCREENSHOT"); out != "" {
		data, err := os.ReadFile(shot)
		if err == nil {
			err = os.WriteFile(out, data, 0o644)
		}
		if err != nil {
			t.Errorf("copy the screenshot to %s: %v", out, err)
		}
	}

	dom := string(chromium(t, page, "--dump-dom"))
	mustContain(t, "rendered DOM", dom,
		`<details id="RebindLoopbackFlip" class="failed" open="">`,
		failingEvidence,
		"the implementation connected to canary loopback",
	)
}

// colours counts the distinct colours of img, up to 1000.
func colours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
			if len(seen) >= 1000 {
				return len(seen)
			}
		}
	}
	return len(seen)
}
