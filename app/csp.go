package app

import (
	"net/http"
	"strings"

	"github.com/konui/konui/backend/bridge"
)

// bridgeSources are the window's own bridge, on a loopback port chosen at
// start (its page comes from wails://wails, so 'self' is not the bridge).
const bridgeSources = "http://127.0.0.1:* ws://127.0.0.1:*"

// WindowContentSecurityPolicy is `konui serve`'s policy with the bridge's
// loopback origins added to connect-src: no remote image, media, style,
// font or script, and no connection but to the bridge. The page also
// carries it as a meta tag (frontend/index.html), which holds even where a
// webview drops the asset server's headers.
var WindowContentSecurityPolicy = strings.Replace(bridge.ContentSecurityPolicy,
	"connect-src 'self'", "connect-src 'self' "+bridgeSources, 1)

// withSecurityHeaders is the Wails asset server's middleware: every page
// and file of the window gets the policy.
func withSecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", WindowContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}
