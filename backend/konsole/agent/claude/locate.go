package claude

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/shared/textclip"
)

// MinVersion is the oldest Claude Code CLI Konsole runs. The stream-json
// control protocol it speaks (interrupt in a control_request envelope,
// can_use_tool over --permission-prompt-tool stdio with updatedInput,
// --include-partial-messages stream events) is the one the Agent SDK drives
// since Claude Code 2.0; the tests run against the pinned 2.1.328.
const MinVersion = "2.0.0"

// InstallCommand is what the dashboard and errors suggest to install the CLI.
const InstallCommand = "npm install -g @anthropic-ai/claude-code"

// Agent problem codes, carried in Install.Code.
const (
	CodeNotFound    = "agent_not_found"
	CodeNotRunnable = "agent_not_runnable"
	CodeTooOld      = "agent_too_old"
)

// Install is Konsole's Claude Code CLI, or why it has none: the Agent of
// the wire contract (GET /v1/agent, backend/contract).
type Install = contract.Agent

// LocateOptions says where Locate looks. The zero value searches the
// process's own environment.
type LocateOptions struct {
	// Configured is the CLI the user chose (--claude, $KONUI_CLAUDE, the
	// settings): a path, or a bare name looked up on PATH. When set, it is
	// the only candidate.
	Configured string
	// Home is the user's home folder ($HOME of Env, else os.UserHomeDir,
	// when empty).
	Home string
	// Env is the environment to read PATH, NVM_DIR, NVM_BIN and
	// NPM_CONFIG_PREFIX from (os.Environ when nil).
	Env []string
	// Repository, when set, is a checkout whose .tools/claude holds the
	// pinned CLI (konui run from the repository by make run); it is tried last.
	Repository string
	// Timeout bounds each "--version" run (10 s when zero).
	Timeout time.Duration
}

type candidate struct{ path, source string }

// Locate finds the Claude Code CLI where installs put it, runs it with
// --version and refuses one older than MinVersion. It never fails: a missing
// or unusable CLI comes back as an Install with Error set.
func Locate(o LocateOptions) Install {
	if o.Env == nil {
		o.Env = os.Environ()
	}
	if o.Home == "" {
		o.Home = envValue(o.Env, "HOME")
	}
	if o.Home == "" {
		o.Home, _ = os.UserHomeDir()
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	base := Install{MinVersion: MinVersion, Install: InstallCommand}
	if o.Configured != "" {
		path := o.Configured
		if !strings.ContainsRune(path, os.PathSeparator) {
			path = lookPath(path, envValue(o.Env, "PATH"))
		}
		if path == "" || !isExecutable(path) {
			base.Code, base.Searched = CodeNotFound, []string{o.Configured}
			base.Error = fmt.Sprintf("The Claude Code CLI set for Konsole (%s) does not exist or is not executable. Fix the path in Settings (or --claude), or install Claude Code with: %s", o.Configured, InstallCommand)
			return base
		}
		return check(base, candidate{path, "configured"}, o.Timeout)
	}
	var tried []string
	var firstBad *Install
	for _, c := range candidates(o) {
		tried = append(tried, c.path)
		if !isExecutable(c.path) {
			continue
		}
		got := check(base, c, o.Timeout)
		if got.OK() {
			return got
		}
		if firstBad == nil {
			firstBad = &got
		}
	}
	if firstBad != nil {
		firstBad.Searched = tried
		return *firstBad
	}
	base.Code, base.Searched = CodeNotFound, tried
	base.Error = "Claude Code is not installed where Konsole looks (PATH, ~/.claude/local, npm's global prefix, nvm's current Node, ~/.local/bin). Install it with: " +
		InstallCommand + " (or Anthropic's installer), then set its path in Settings if it is somewhere else."
	return base
}

// candidates lists the places installs put the CLI, in the order they are tried.
func candidates(o LocateOptions) []candidate {
	var out []candidate
	add := func(path, source string) {
		if path == "" {
			return
		}
		for _, c := range out {
			if c.path == path {
				return
			}
		}
		out = append(out, candidate{path, source})
	}
	pathList := envValue(o.Env, "PATH")
	for _, dir := range filepath.SplitList(pathList) {
		if dir != "" && filepath.IsAbs(dir) {
			add(filepath.Join(dir, "claude"), "PATH")
		}
	}
	if o.Home != "" {
		add(filepath.Join(o.Home, ".claude", "local", "claude"), "~/.claude/local")
		add(filepath.Join(o.Home, ".claude", "local", "node_modules", ".bin", "claude"), "~/.claude/local")
	}
	for _, prefix := range npmPrefixes(o) {
		add(filepath.Join(prefix, "bin", "claude"), "npm prefix")
	}
	for _, bin := range nvmBins(o) {
		add(filepath.Join(bin, "claude"), "nvm")
	}
	if o.Home != "" {
		add(filepath.Join(o.Home, ".local", "bin", "claude"), "~/.local/bin")
	}
	if o.Repository != "" {
		add(filepath.Join(o.Repository, ".tools", "claude", "node_modules", ".bin", "claude"), "repository")
	}
	return out
}

// npmPrefixes are npm's global prefix: $NPM_CONFIG_PREFIX, the prefix= line
// of ~/.npmrc, and ~/.npm-global (the prefix npm's own docs suggest).
func npmPrefixes(o LocateOptions) []string {
	var out []string
	for _, k := range []string{"NPM_CONFIG_PREFIX", "npm_config_prefix"} {
		if v := envValue(o.Env, k); v != "" {
			out = append(out, expandHome(v, o.Home))
		}
	}
	if o.Home == "" {
		return out
	}
	if f, err := os.Open(filepath.Join(o.Home, ".npmrc")); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
			if ok && strings.TrimSpace(k) == "prefix" {
				out = append(out, expandHome(strings.Trim(strings.TrimSpace(v), `"'`), o.Home))
			}
		}
		f.Close()
	}
	return append(out, filepath.Join(o.Home, ".npm-global"))
}

// nvmBins are the bin folders of nvm's current Node: $NVM_BIN (a shell
// where nvm is active), then the version the "default" alias names, then
// every installed version, newest first.
func nvmBins(o LocateOptions) []string {
	var out []string
	if v := envValue(o.Env, "NVM_BIN"); v != "" {
		out = append(out, v)
	}
	dir := envValue(o.Env, "NVM_DIR")
	if dir == "" && o.Home != "" {
		dir = filepath.Join(o.Home, ".nvm")
	}
	if dir == "" {
		return out
	}
	entries, err := os.ReadDir(filepath.Join(dir, "versions", "node"))
	if err != nil {
		return out
	}
	var versions []string
	for _, e := range entries {
		if e.IsDir() {
			versions = append(versions, e.Name())
		}
	}
	sort.Slice(versions, func(i, j int) bool { return compareVersions(versions[i], versions[j]) > 0 })
	bin := func(v string) string { return filepath.Join(dir, "versions", "node", v, "bin") }
	if b, err := os.ReadFile(filepath.Join(dir, "alias", "default")); err == nil {
		want := strings.TrimPrefix(strings.TrimSpace(string(b)), "v")
		for _, v := range versions {
			if n := strings.TrimPrefix(v, "v"); n == want || strings.HasPrefix(n, want+".") {
				out = append(out, bin(v))
				break
			}
		}
	}
	for _, v := range versions {
		out = append(out, bin(v))
	}
	return out
}

var versionRE = regexp.MustCompile(`\d+\.\d+\.\d+`)

// check runs the candidate with --version.
func check(base Install, c candidate, timeout time.Duration) Install {
	base.Path, base.Source = c.path, c.source
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.path, "--version")
	cmd.WaitDelay = time.Second
	out, err := cmd.Output()
	v := versionRE.FindString(string(out))
	switch {
	case ctx.Err() != nil:
		base.Code = CodeNotRunnable
		base.Error = fmt.Sprintf("The Claude Code CLI at %s did not answer \"--version\" within %s. Check that it runs in a terminal, or set another path in Settings.", c.path, timeout)
	case err != nil:
		base.Code = CodeNotRunnable
		base.Error = fmt.Sprintf("The Claude Code CLI at %s does not run (%v): it may need a newer Node.js. Reinstall it with: %s, or set another path in Settings.", c.path, exitReason(err), InstallCommand)
	case v == "":
		base.Code = CodeNotRunnable
		base.Error = fmt.Sprintf("%s printed no version for \"--version\"; it does not look like the Claude Code CLI. Set the right path in Settings.", c.path)
	default:
		base.Version = v
		if compareVersions(v, MinVersion) < 0 {
			base.Code = CodeTooOld
			base.Error = fmt.Sprintf("Claude Code %s at %s is older than %s, the oldest version Konui works with. Update it with: %s (or \"claude update\").", v, c.path, MinVersion, InstallCommand)
		}
	}
	return base
}

func exitReason(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		if tail := strings.TrimSpace(string(ee.Stderr)); tail != "" {
			return fmt.Sprintf("%v: %s", err, textclip.Head(tail, 300))
		}
	}
	return err.Error()
}

// compareVersions compares dotted numeric versions ("v22.1.0", "2.1.328").
func compareVersions(a, b string) int {
	pa := strings.Split(strings.TrimPrefix(a, "v"), ".")
	pb := strings.Split(strings.TrimPrefix(b, "v"), ".")
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func lookPath(name, pathList string) string {
	for _, dir := range filepath.SplitList(pathList) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue
		}
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p
		}
	}
	return ""
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

func envValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

func expandHome(p, home string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok && home != "" {
		return filepath.Join(home, rest)
	}
	return p
}
