package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/konui/konui/backend/bridge/upstream"
	"github.com/konui/konui/backend/shared/httpjson"
)

// konsole is one Konsole the bridge follows: its own upstream (resume
// point, watchdog, backoff), REST client, proxy and health check. Nothing
// here holds a lock of the bridge across a network call, so one Konsole
// that is slow or down delays no other.
type konsole struct {
	b      *Bridge
	spec   KonsoleSpec
	up     *upstream.Follower
	api    *konsoleAPI
	proxy  *httputil.ReverseProxy
	health time.Duration

	// epMu guards the endpoint in use; resolveMu makes one Resolve at a
	// time (a tunnel starts once however many requests failed).
	epMu       sync.Mutex
	url, token string
	resolveMu  sync.Mutex

	// enableMu makes one enable or disable at a time.
	enableMu sync.Mutex
	// runMu guards cancel, done and retired.
	runMu  sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
	// retired is set once the Konsole is removed: it never starts again.
	retired   bool
	closeOnce sync.Once
}

func newKonsole(b *Bridge, spec KonsoleSpec) *konsole {
	k := &konsole{b: b, spec: spec, url: spec.URL, token: spec.Token, health: b.cfg.HealthInterval}
	k.api = &konsoleAPI{endpoint: k.endpoint, refresh: k.refresh, client: spec.HTTPClient}
	k.up = upstream.New(upstream.Options{Display: spec.URL, Endpoint: k.streamEndpoint, Client: spec.HTTPClient,
		Backoff: b.cfg.Backoff, Watchdog: b.cfg.Watchdog, DownAfter: b.cfg.DownAfter, MaxEvent: b.cfg.MaxEventBytes,
		Logger: b.lg.With("konsole", spec.ID), Deliver: func(ev upstream.Event) { b.deliver(k, ev) },
		SetState: func(st KonsoleState) { b.setState(k, st) }})
	k.proxy = k.newProxy()
	return k
}

// info is the Konsole's entry before any state is known.
func (k *konsole) info() KonsoleInfo {
	st := StateConnecting
	msg := ""
	if k.spec.Disabled {
		st, msg = StateDown, disabledError
	}
	return KonsoleInfo{ID: k.spec.ID, Name: k.spec.Name, URL: k.spec.URL, Kind: k.spec.Kind, State: st, Error: msg,
		Enabled: !k.spec.Disabled, Removable: k.b.removable(k.spec)}
}

const disabledError = "disabled: the bridge does not follow this Konsole until it is enabled"

// endpoint is the URL and token in use now.
func (k *konsole) endpoint() (string, string) {
	k.epMu.Lock()
	defer k.epMu.Unlock()
	return k.url, k.token
}

// refresh asks Resolve for the endpoint again; without Resolve there is
// nothing to refresh.
func (k *konsole) refresh(ctx context.Context) error {
	if k.spec.Resolve == nil {
		return errors.New("no resolver")
	}
	k.resolveMu.Lock()
	defer k.resolveMu.Unlock()
	u, t, err := k.spec.Resolve(ctx)
	if err != nil {
		return err
	}
	k.epMu.Lock()
	k.url, k.token = strings.TrimRight(u, "/"), t
	k.epMu.Unlock()
	return nil
}

// streamEndpoint is called before every stream connection attempt.
func (k *konsole) streamEndpoint(ctx context.Context) (string, string, error) {
	if k.spec.Resolve != nil {
		if err := k.refresh(ctx); err != nil {
			return "", "", err
		}
	}
	u, t := k.endpoint()
	return u, t, nil
}

// start follows the Konsole's events until stop or ctx ends; it does
// nothing once the Konsole is retired.
func (k *konsole) start(ctx context.Context) {
	k.runMu.Lock()
	defer k.runMu.Unlock()
	if k.cancel != nil || k.retired {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	k.cancel, k.done = cancel, done
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); k.checkHealth(ctx) }()
		k.up.Run(ctx)
		wg.Wait()
	}()
}

// stop ends following and waits for it; the resume point stays, so a
// start again resumes exactly.
func (k *konsole) stop() { k.halt(false) }

// retire stops following for good: the Konsole was removed, and no start
// that raced the removal (it held k from before) may follow it again.
func (k *konsole) retire() { k.halt(true) }

func (k *konsole) halt(retire bool) {
	k.runMu.Lock()
	if retire {
		k.retired = true
	}
	cancel, done := k.cancel, k.done
	k.cancel, k.done = nil, nil
	k.runMu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

func (k *konsole) running() bool {
	k.runMu.Lock()
	defer k.runMu.Unlock()
	return k.cancel != nil
}

func (k *konsole) closeSpec() {
	k.closeOnce.Do(func() {
		if k.spec.Close != nil {
			k.spec.Close()
		}
	})
}

// checkHealth measures GET /healthz every health interval while the
// Konsole is connected: its round trip is latencyMs, its version version.
func (k *konsole) checkHealth(ctx context.Context) {
	poll := time.NewTicker(k.health)
	defer poll.Stop()
	// The first check comes soon after a connection, not a whole interval later.
	soon := time.NewTicker(200 * time.Millisecond)
	defer soon.Stop()
	measured := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
		case <-soon.C:
		}
		if k.b.hub.KonsoleInfo(k.spec.ID).State != StateConnected {
			if measured {
				measured = false
				soon.Reset(200 * time.Millisecond)
			}
			continue
		}
		if !measured {
			measured = true
			soon.Stop()
		}
		base, token := k.endpoint()
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		req, _ := http.NewRequestWithContext(rctx, "GET", base+"/healthz", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		began := time.Now()
		resp, err := k.spec.HTTPClient.Do(req)
		if err != nil {
			// No answer: the last round trip no longer says how it is.
			cancel()
			k.b.hub.SetHealth(k.spec.ID, nil, "")
			continue
		}
		var h struct {
			Version string `json:"version"`
		}
		// an answer without a version is still an answer: the probe measures the round trip.
		_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&h)
		resp.Body.Close()
		cancel()
		ms := float64(time.Since(began).Microseconds()) / 1000
		k.b.hub.SetHealth(k.spec.ID, &ms, h.Version)
	}
}

// newProxy forwards a dashboard request to this Konsole's /v1/, swapping
// the dashboard's token for the Konsole's.
func (k *konsole) newProxy() *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			base, token := k.endpoint()
			target, _ := url.Parse(base)
			pr.SetURL(target)
			pr.Out.URL.Path = strings.TrimRight(target.Path, "/") + "/v1/" + strings.TrimPrefix(pr.In.URL.Path, "/api/")
			pr.Out.URL.RawPath = ""
			q := pr.Out.URL.Query()
			q.Del("token")
			q.Del("konsoleId")
			pr.Out.URL.RawQuery = q.Encode()
			pr.Out.Header.Set("Authorization", "Bearer "+token)
			pr.Out.Header.Del("Cookie")
			pr.Out.Header.Del("Origin")
		},
		Transport:     k.spec.HTTPClient.Transport,
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if k.spec.Resolve != nil && r.Context().Err() == nil {
				// A tunnel that dropped starts again for the next request.
				ctx, cancel := context.WithTimeout(context.Background(), k.b.cfg.RequestTimeout)
				// a failed restart is the unreachable answer below; the next request tries again.
				_ = k.refresh(ctx)
				cancel()
			}
			httpjson.Error(w, http.StatusBadGateway, CodeKonsoleUnreachable, k.unreachable())
		},
	}
}

// unreachable is the sentence for a Konsole that did not answer.
func (k *konsole) unreachable() string {
	if k.spec.ID == LocalID || len(k.b.all()) == 1 {
		return "Konsole is unreachable at " + k.spec.URL
	}
	return "Konsole " + k.spec.Name + " is unreachable at " + k.spec.URL
}
