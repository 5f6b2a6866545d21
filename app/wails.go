package app

import (
	"context"
	_ "embed"
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

	"github.com/konui/konui/backend/bridge/fleet"
	"github.com/konui/konui/backend/shared/paths"
	"github.com/konui/konui/frontend"
)

//go:embed appicon.png
var icon []byte

// UniqueID names the single-instance lock (on the session bus on Linux, a
// named mutex on Windows).
const UniqueID = "dev.konui.desktop"

// Options are the window's settings for this run, from its flags (the
// desktop build's main parses them with the rest of the command line).
type Options struct {
	// Remotes are the Konsoles of this run's --konsole flags, followed
	// besides the local one and the stored fleet.
	Remotes []fleet.Target
	// Data is the local Konsole's data folder; Claude its Claude Code CLI.
	Data, Claude string
	// Version is konui's.
	Version string
	// Args are the window's arguments, handed to a running window when
	// that one is raised instead.
	Args   []string
	Logger *slog.Logger
}

// Run opens the desktop window and returns the exit code once it closes.
// The caller decides beforehand that there is a display.
func Run(o Options, stdout, stderr io.Writer) int {
	lg := o.Logger
	if raiseRunning(UniqueID, o.Args) {
		fmt.Fprintln(stdout, "konui is already running: its window was raised.")
		return 0
	}
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
	stateDir, err := paths.DataDir()
	if err != nil {
		fmt.Fprintln(stderr, "konui:", err)
		return 1
	}
	d := NewDesktop(DesktopConfig{Settings: settings, Remotes: o.Remotes, DataDir: o.Data, Claude: o.Claude,
		StateDir: filepath.Join(stateDir, "desktop"), Version: o.Version, TrayHost: trayHostPresent, Logger: lg})
	w := &wailsApp{d: d, lg: lg, settings: settings}
	// The first size is small enough for a 1280x800 screen; domReady fits
	// it to the real one.
	width, height := defaultWidth, 700
	err = wails.Run(&options.App{
		Title:            "Konui",
		Width:            width,
		Height:           height,
		MinWidth:         minWidth,
		MinHeight:        minHeight,
		AssetServer:      &assetserver.Options{Assets: frontend.Dist(), Middleware: withSecurityHeaders},
		BackgroundColour: &options.RGBA{R: 21, G: 22, B: 26, A: 255},
		OnStartup:        w.startup,
		OnDomReady:       w.domReady,
		OnBeforeClose:    w.beforeClose,
		OnShutdown:       w.shutdown,
		Bind:             []interface{}{NewPage(d)},
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
	if n, err := newNotifier(iconPath, w.lg); err != nil {
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

// domReady fits the window to the screen it opened on and puts it back
// where it was, moved onto that screen if it would be off it.
func (w *wailsApp) domReady(ctx context.Context) {
	setWindowIcon(icon)
	saved := w.settings.Get().Window
	screens, err := runtime.ScreenGetAll(ctx)
	if err != nil || len(screens) == 0 {
		return
	}
	sc := screens[0]
	for _, s := range screens {
		if s.IsCurrent {
			sc = s
			break
		}
		if s.IsPrimary {
			sc = s
		}
	}
	g := FitWindow(saved, sc.Size.Width, sc.Size.Height)
	// FitWindow centres a window that has no saved place itself: Wails'
	// WindowCenter would use the size from before WindowSetSize.
	runtime.WindowSetSize(ctx, g.Width, g.Height)
	runtime.WindowSetPosition(ctx, g.X, g.Y)
}

// beforeClose remembers the window's geometry and, when asked to, hides the
// window to the tray instead of quitting.
func (w *wailsApp) beforeClose(ctx context.Context) bool {
	x, y := runtime.WindowGetPosition(ctx)
	wd, ht := runtime.WindowGetSize(ctx)
	if err := w.settings.Update(func(s *Settings) error {
		s.Window = &Geometry{X: x, Y: y, Width: wd, Height: ht}
		return nil
	}); err != nil {
		w.lg.Warn("failed to save the window's geometry", "err", err)
	}
	w.mu.Lock()
	quitting := w.quitting
	w.mu.Unlock()
	if !quitting && w.d.HidesOnClose() {
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

// GenerateBindings runs Wails' binding generator on what the window binds
// (the bindings build of wails.Run writes them and returns).
func GenerateBindings() error {
	return wails.Run(&options.App{Bind: []interface{}{NewPage(&Desktop{})}})
}
