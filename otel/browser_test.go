package otelobjrmi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/observe"
	"github.com/objrmi/objrmi/remote"
)

// browser finds a Chromium or Chrome binary. Without one the browser
// test is skipped, unless CI is set: there .ci/run installs Debian's
// chromium, and its absence is a failure.
func browser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium on PATH, and CI is set: .ci/run installs Debian's chromium (apt-get install -y chromium)")
	}
	t.Skip("no chromium, chromium-browser, google-chrome or headless-shell on PATH: install one (Debian: apt-get install chromium) to run the browser test")
	return ""
}

// The debug page of a live runtime, loaded in headless Chromium, shows
// an export and its holder; the test keeps a screenshot of it, in
// $OBJRMI_ARTIFACTS if set.
func TestDebugPageInABrowser(t *testing.T) {
	exe := browser(t)
	calls := observe.NewCalls()
	srv, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0", Observers: []remote.Observer{calls}})
	require.NoError(t, err)
	defer srv.Close()
	ref, err := remote.Export[Hop](srv, hop{srv})
	require.NoError(t, err)
	cli, err := remote.NewRuntime(remote.Options{})
	require.NoError(t, err)
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	h := remote.Dynamic(cli, ref) // holds the object
	_, err = h.Call(ctx, "Hop", "")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return srv.Stats().Holders == 1 }, 10*time.Second, 5*time.Millisecond)

	mux := http.NewServeMux()
	mux.Handle("/debug/objrmi", observe.Handler(srv, calls))
	hs := httptest.NewServer(mux)
	defer hs.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(1280, 900))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	require.NoError(t, chromedp.Do(bctx,
		chromedp.Navigate(hs.URL+"/debug/objrmi"),
		chromedp.WaitVisible("#exports"),
	))
	text := func(sel string) string {
		s, err := chromedp.Run(bctx, chromedp.Text(sel))
		require.NoError(t, err, sel)
		return s
	}
	title, err := chromedp.Run(bctx, chromedp.Title())
	require.NoError(t, err)
	exports, conns, methods := text("#exports"), text("#connections"), text("#methods")
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	assert.Contains(t, title, srv.ID().String())
	assert.Contains(t, exports, "Hop", "the export's interface")
	assert.Contains(t, exports, cli.ID().String(), "its holder")
	assert.Contains(t, exports, "explicit")
	assert.Contains(t, conns, cli.ID().String())
	assert.Contains(t, methods, "Hop.Hop")

	dir := os.Getenv("OBJRMI_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	path := filepath.Join(dir, "debug-page.png")
	require.NoError(t, os.WriteFile(path, shot, 0o644))
	require.True(t, strings.HasPrefix(string(shot), "\x89PNG"), "a PNG screenshot")
	t.Logf("screenshot: %s (%d bytes)", path, len(shot))
	bcancel()
	acancel() // waits for the browser to exit
}
