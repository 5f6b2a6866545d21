package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/konui/konui/backend/bridge/pairing"
	"github.com/konui/konui/backend/konsole/runfile"
)

// konsoleStatusReport is what `konui konsole --status --json` prints.
type konsoleStatusReport struct {
	// Running: a live process holds the run file of DataDir.
	Running bool   `json:"running"`
	DataDir string `json:"dataDir"`
	PID     int    `json:"pid,omitempty"`
	URL     string `json:"url,omitempty"`
	Listen  string `json:"listen,omitempty"`
	// Version is the one /healthz answered, else the run file's.
	Version     string     `json:"version,omitempty"`
	StartedAt   *time.Time `json:"startedAt,omitempty"`
	PairingURL  string     `json:"pairingUrl,omitempty"`
	Fingerprint string     `json:"fingerprint,omitempty"`
	// Answering: GET /healthz answered 200; LatencyMs its round trip.
	Answering bool   `json:"answering"`
	LatencyMs *int64 `json:"latencyMs,omitempty"`
	Error     string `json:"error,omitempty"`
	// Service is the systemd user unit's file when one is installed.
	Service string `json:"service,omitempty"`
}

// Exit codes of --status: 0 running and answering, 1 running but not
// answering (or the run file cannot be read), 3 not running (as systemctl).
const (
	statusNotAnswering = 1
	statusNotRunning   = 3
)

// konsoleStatus is `konui konsole --status`: whether a Konsole runs with
// dataDir, where, which version (its /healthz), and the service unit.
func konsoleStatus(ctx context.Context, f konsoleFlags, dataDir string, stdout, stderr io.Writer) int {
	r := statusOf(ctx, dataDir)
	code := 0
	switch {
	case !r.Running && r.Error == "":
		code = statusNotRunning
	case !r.Answering:
		code = statusNotAnswering
	}
	if f.json {
		b, _ := json.MarshalIndent(r, "", "  ")
		fmt.Fprintln(stdout, string(b))
		return code
	}
	printStatus(stdout, r, f.data)
	return code
}

func statusOf(ctx context.Context, dataDir string) konsoleStatusReport {
	r := konsoleStatusReport{DataDir: dataDir}
	if p, err := serviceUnitPath(); err == nil {
		if _, err := os.Stat(p); err == nil {
			r.Service = p
		}
	}
	info, ok, err := runfile.Read(dataDir)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	if !ok {
		return r
	}
	started := info.StartedAt
	r.Running, r.PID, r.URL, r.Listen, r.Version, r.StartedAt = true, info.PID, info.URL, info.Listen, info.Version, &started
	r.PairingURL, r.Fingerprint = info.PairingURL, info.Fingerprint
	version, latency, err := healthz(ctx, info)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	ms := latency.Milliseconds()
	r.Answering, r.Version, r.LatencyMs = true, version, &ms
	return r
}

// healthz asks the Konsole of info for its version, pinned to its
// certificate when it serves TLS.
func healthz(ctx context.Context, info runfile.Info) (version string, latency time.Duration, err error) {
	client := &http.Client{}
	if info.Fingerprint != "" {
		client = pairing.PinnedClient(info.Fingerprint)
	}
	client.Timeout = 5 * time.Second
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(info.URL, "/")+"/healthz", nil)
	if err != nil {
		return "", 0, fmt.Errorf("failed to ask the Konsole at %s: %w", info.URL, err)
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("the Konsole (pid %d) does not answer at %s: %s", info.PID, info.URL, requestCause(err))
	}
	defer resp.Body.Close()
	latency = time.Since(start)
	var body struct {
		Version string `json:"version"`
	}
	if resp.StatusCode != http.StatusOK {
		return "", 0, fmt.Errorf("the Konsole (pid %d) at %s answered /healthz with %s", info.PID, info.URL, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&body); err != nil {
		return "", 0, fmt.Errorf("failed to read the /healthz answer of %s: %w", info.URL, err)
	}
	return body.Version, latency, nil
}

func printStatus(w io.Writer, r konsoleStatusReport, dataFlag string) {
	switch {
	case r.Running && r.Answering:
		fmt.Fprintf(w, "A Konsole is running: pid %d, version %s, since %s.\n", r.PID, r.Version, r.StartedAt.Local().Format("2006-01-02 15:04:05 MST"))
	case r.Running:
		fmt.Fprintf(w, "A Konsole is running (pid %d, version %s) but does not answer: %s\n", r.PID, r.Version, r.Error)
	case r.Error != "":
		fmt.Fprintf(w, "Cannot tell whether a Konsole runs: %s\n", r.Error)
	default:
		fmt.Fprintf(w, "No Konsole is running with the data folder %s.\n", r.DataDir)
	}
	if r.Running {
		fmt.Fprintf(w, "  url:     %s (listening on %s)\n", r.URL, r.Listen)
		if r.LatencyMs != nil {
			fmt.Fprintf(w, "  health:  /healthz answered in %d ms\n", *r.LatencyMs)
		}
		fmt.Fprintf(w, "  data:    %s\n", r.DataDir)
		if r.PairingURL != "" {
			fmt.Fprintf(w, "  pairing: %s (self-signed certificate SHA-256 %s); \"%s\" prints the pairing string\n", r.PairingURL, r.Fingerprint, pairingCommand(dataFlag))
		}
	}
	if r.Service != "" {
		fmt.Fprintf(w, "  service: %s (systemctl --user status %s)\n", r.Service, serviceName)
	}
}

// requestCause is why a request got no answer, in words: "no answer
// within 5 s" for a timeout, else the innermost error without the
// "Get URL:" that repeats the address.
func requestCause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return "no answer within 5 s (is it stopped, or is its machine overloaded?)"
		}
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer in time"
	}
	return err.Error()
}
