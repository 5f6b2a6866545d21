package app

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/mac"
	"github.com/wailsapp/wails/v2/pkg/options/windows"
	"github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/konui/konui/backend/cli"
	"github.com/konui/konui/frontend"
)

//go:embed appicon.png
var icon []byte

// UniqueID names the single-instance lock (on the session bus on Linux).
const UniqueID = "dev.konui.desktop"

// Run opens the desktop window; without a display it says so and serves
// the dashboard for a browser instead.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		fmt.Fprintln(stdout, "konui: no display found (DISPLAY and WAYLAND_DISPLAY are unset), so no window can open: serving the dashboard for a browser instead.")
		return cli.Main(append([]string{"serve"}, args...), stdout, stderr)
	}
	fs := flag.NewFlagSet("konui", flag.ContinueOnError)
	fs.SetOutput(stderr)
	konsoleURL := fs.String("konsole", os.Getenv("KONSOLE_URL"), "follow this remote Konsole for this run ($KONSOLE_URL); the saved profiles stay as they are")
	konsoleToken := fs.String("konsole-token", "", "token of that Konsole ($KONSOLE_TOKEN)")
	data := fs.String("data", "", "data folder of the local Konsole")
	claude := fs.String("claude", envOr("KONUI_CLAUDE", "claude"), "Claude Code CLI for the local Konsole ($KONUI_CLAUDE)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(stderr, "konui: unknown log level", *logLevel)
		return 2
	}
	lg := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	path, err := DefaultSettingsPath()
	if err != nil {
		fmt.Fprintln(stderr, "konui:", err)
		return 1
	}
	settings, err := OpenSettings(path)
	if err != nil {
		fmt.Fprintln(stderr, "konui:", err)
		return 1
	}
	var override *Profile
	if *konsoleURL != "" {
		tok := *konsoleToken
		if tok == "" {
			tok = os.Getenv("KONSOLE_TOKEN")
		}
		override = &Profile{ID: "override", Name: *konsoleURL, URL: *konsoleURL, Token: tok}
		if err := ValidateProfile(*override); err != nil {
			fmt.Fprintln(stderr, "konui: --konsole:", err)
			return 2
		}
	}
	stateDir, err := cli.DataDir()
	if err != nil {
		fmt.Fprintln(stderr, "konui:", err)
		return 1
	}
	d := NewDesktop(DesktopConfig{Settings: settings, Override: override, DataDir: *data, Claude: *claude,
		StateDir: filepath.Join(stateDir, "desktop"), Logger: lg})
	w := &wailsApp{d: d, lg: lg, settings: settings}
	geo := settings.Get().Window
	width, height := 1280, 820
	if geo != nil && geo.Width >= 640 && geo.Height >= 400 {
		width, height = geo.Width, geo.Height
	}
	err = wails.Run(&options.App{
		Title:            "Konui",
		Width:            width,
		Height:           height,
		MinWidth:         720,
		MinHeight:        460,
		AssetServer:      &assetserver.Options{Assets: frontend.Dist()},
		BackgroundColour: &options.RGBA{R: 21, G: 22, B: 26, A: 255},
		OnStartup:        w.startup,
		OnDomReady:       w.domReady,
		OnBeforeClose:    w.beforeClose,
		OnShutdown:       w.shutdown,
		Bind:             []interface{}{d},
		SingleInstanceLock: &options.SingleInstanceLock{
			UniqueId:               UniqueID,
			OnSecondInstanceLaunch: w.secondInstance,
		},
		Linux:   &linux.Options{Icon: icon, ProgramName: "konui", WebviewGpuPolicy: linux.WebviewGpuPolicyNever},
		Mac:     &mac.Options{About: &mac.AboutInfo{Title: "Konui", Message: "A desktop console for Claude Code", Icon: icon}},
		Windows: &windows.Options{WebviewIsTransparent: false, WindowIsTranslucent: false},
	})
	if err != nil {
		fmt.Fprintln(stderr, "konui:", err)
		return 1
	}
	return 0
}

// wailsApp ties the Desktop to the Wails lifecycle and runtime.
type wailsApp struct {
	d        *Desktop
	lg       *slog.Logger
	settings *SettingsStore
	ctx      context.Context
	tray     *SysTray
	notifier Notifier

	mu       sync.Mutex
	quitting bool
}

func (w *wailsApp) startup(ctx context.Context) {
	w.ctx = ctx
	win := &wailsWindow{ctx: ctx, app: w}
	iconPath := writeIcon()
	var notifier Notifier
	if n, err := NewDBusNotifier(iconPath, w.lg); err != nil {
		w.lg.Warn("native notifications are off", "err", err)
	} else {
		notifier = n
		w.notifier = n
	}
	w.tray = StartSysTray(icon, TrayActions{
		Open:        func() { win.Show() },
		OpenTarget:  w.d.openSeen,
		TogglePause: w.d.togglePause,
		Quit:        win.Quit,
	})
	w.d.Attach(win, notifier, w.tray)
	if err := w.d.Start(); err != nil {
		w.lg.Error("failed to start", "err", err)
		w.d.setStartError(err)
	}
}

func (w *wailsApp) domReady(ctx context.Context) {
	if g := w.settings.Get().Window; g != nil && g.Width > 0 {
		runtime.WindowSetPosition(ctx, g.X, g.Y)
	}
}

// beforeClose remembers the window's geometry and, when asked to, hides the
// window to the tray instead of quitting.
func (w *wailsApp) beforeClose(ctx context.Context) bool {
	x, y := runtime.WindowGetPosition(ctx)
	wd, ht := runtime.WindowGetSize(ctx)
	w.settings.Update(func(s *Settings) error {
		s.Window = &Geometry{X: x, Y: y, Width: wd, Height: ht}
		return nil
	})
	w.mu.Lock()
	quitting := w.quitting
	w.mu.Unlock()
	if !quitting && w.settings.Get().HideToTray {
		runtime.WindowHide(ctx)
		return true
	}
	return false
}

func (w *wailsApp) shutdown(ctx context.Context) {
	w.d.Stop()
	if w.tray != nil {
		w.tray.Close()
	}
	if w.notifier != nil {
		w.notifier.Close()
	}
}

func (w *wailsApp) secondInstance(data options.SecondInstanceData) {
	w.lg.Info("a second konui was started; raising this window", "args", len(data.Args))
	if w.ctx == nil {
		return
	}
	runtime.WindowUnminimise(w.ctx)
	runtime.WindowShow(w.ctx)
}

// wailsWindow is Window over the Wails runtime.
type wailsWindow struct {
	ctx context.Context
	app *wailsApp
}

func (w *wailsWindow) Show() {
	runtime.WindowUnminimise(w.ctx)
	runtime.WindowShow(w.ctx)
}
func (w *wailsWindow) Hide() { runtime.WindowHide(w.ctx) }

// PickFolder shows the OS's folder dialog (FolderPicker).
func (w *wailsWindow) PickFolder(title, start string) (string, error) {
	return runtime.OpenDirectoryDialog(w.ctx, runtime.OpenDialogOptions{Title: title, DefaultDirectory: start, CanCreateDirectories: true})
}
func (w *wailsWindow) Emit(name string, data ...any) { runtime.EventsEmit(w.ctx, name, data...) }
func (w *wailsWindow) Geometry() (Geometry, bool) {
	x, y := runtime.WindowGetPosition(w.ctx)
	wd, ht := runtime.WindowGetSize(w.ctx)
	return Geometry{X: x, Y: y, Width: wd, Height: ht}, true
}
func (w *wailsWindow) Quit() {
	w.app.mu.Lock()
	w.app.quitting = true
	w.app.mu.Unlock()
	runtime.Quit(w.ctx)
}

// writeIcon puts the app icon where the notification server can read it.
func writeIcon() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "konui"
	}
	p := filepath.Join(dir, "konui", "konui.png")
	if os.MkdirAll(filepath.Dir(p), 0o700) == nil && os.WriteFile(p, icon, 0o644) == nil {
		return p
	}
	return "konui"
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
