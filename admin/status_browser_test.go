package admin

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// chromium returns the path of the Chromium binary. Without one the test
// is skipped, except under CI (CI=true), which installs it (apt-get install
// chromium) and where a skipped test is a test that never runs.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const msg = "chromium not found (apt-get install -y chromium)"
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatal(msg + "; CI is set: the browser test must not be skipped")
	}
	t.Skip(msg)
	return ""
}

// runChromium runs headless Chromium with args then url and returns its
// stdout. Its stderr (always noisy) is logged only when it fails.
func runChromium(t *testing.T, bin, url string, args ...string) []byte {
	t.Helper()
	// The timeout only guards against a hang: a run takes a second or two.
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	all := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(),
	}, args...)
	cmd := exec.CommandContext(ctx, bin, append(all, url)...)
	cmd.WaitDelay = 10 * time.Second // a child keeping the pipes open
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = errors.Join(err, ctx.Err())
		}
		t.Fatalf("%s: %v\nstderr:\n%s", cmd, err, stderr.String())
	}
	return stdout.Bytes()
}

func TestStatusBrowser(t *testing.T) {
	bin := chromium(t)
	data := fullStatus()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := renderStatus(w, data); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	url := srv.URL + "/"

	t.Run("dom", func(t *testing.T) {
		dom := string(runChromium(t, bin, url, "--dump-dom"))
		if !strings.Contains(dom, "</html>") {
			t.Fatalf("no DOM dumped; stdout:\n%s", dom)
		}
		for _, j := range data.Jobs {
			mustContain(t, dom, ">"+j.Name+"</h3>")
		}
		mustContain(t, dom,
			`<span class="badge st-failed">failed</span>`,
			`<span class="badge st-succeeded">succeeded</span>`,
			`<span class="badge quarantine">quarantined</span>`,
			data.Failed[0].Error,
			`<form method="post" action="/api/approvals/42/approve"><button type="submit" class="approve" aria-label="Approve run 42 of people-to-google">Approve</button></form>`,
			`in 3m (2026-11-22 17:00)`,
			`times in <strong class="zone">UTC (UTC+00:00)</strong>`,
		)
		// The page has no script at all: an element would be a failed escape.
		mustNotContain(t, dom, "<script")
		if n, want := strings.Count(dom, `<g class="bar">`), wantBars(data); n != want {
			t.Errorf("SVG bars in the DOM = %d, want %d", n, want)
		}
		if n, want := strings.Count(dom, "<svg "), jobsWithRuns(data); n != want {
			t.Errorf("SVG charts in the DOM = %d, want %d", n, want)
		}
	})

	t.Run("screenshot", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "status.png")
		runChromium(t, bin, url, "--screenshot="+file, "--window-size=1280,1600", "--hide-scrollbars")
		f, err := os.Open(file)
		if err != nil {
			t.Fatalf("no screenshot: %v", err)
		}
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			t.Fatalf("screenshot %s: %v", file, err)
		}
		t.Logf("screenshot: %s", file)
		// The temp dir goes with the test: STATUS_SCREENSHOT=path keeps a copy.
		if keep := os.Getenv("STATUS_SCREENSHOT"); keep != "" {
			if b, err := os.ReadFile(file); err != nil || os.WriteFile(keep, b, 0o644) != nil {
				t.Errorf("cannot copy the screenshot to %s", keep)
			} else {
				t.Logf("screenshot copied to %s", keep)
			}
		}
		if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 1600 {
			t.Errorf("screenshot is %dx%d, want 1280x1600", b.Dx(), b.Dy())
		}
		checkNotBlank(t, img)
	})
}

// checkNotBlank fails unless img has some variance of luminance and the
// colours of the page: the failed red of the chart and badges.
func checkNotBlank(t *testing.T, img image.Image) {
	t.Helper()
	b := img.Bounds()
	var n, sum, sumSq float64
	colours := map[uint32]bool{}
	reddish := 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			l := 0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(bl)
			n++
			sum += l
			sumSq += l * l
			colours[r<<16|g<<8|bl] = true
			if r > 180 && g < 100 && bl < 100 {
				reddish++
			}
		}
	}
	mean := sum / n
	variance := sumSq/n - mean*mean
	t.Logf("screenshot: mean luminance %.1f, variance %.1f, %d colours, %d reddish samples", mean, variance, len(colours), reddish)
	if variance < 100 || len(colours) < 50 {
		t.Errorf("screenshot looks blank: luminance variance %.1f, %d colours", variance, len(colours))
	}
	if reddish == 0 {
		t.Error("screenshot shows no red (failed bars, failed badges)")
	}
}
