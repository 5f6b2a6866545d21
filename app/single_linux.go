package app

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/wailsapp/wails/v2/pkg/options"
)

// singleInstanceName is the bus name Wails' single-instance lock owns for id.
func singleInstanceName(id string) (name string, path dbus.ObjectPath) {
	id = "wails_app_" + strings.ReplaceAll(strings.ReplaceAll(id, "-", "_"), ".", "_")
	return "org." + id + ".SingleInstance", dbus.ObjectPath("/org/" + id + "/SingleInstance")
}

// RaiseRunning hands args to a konui already running on the bus of conn
// (Wails' single-instance lock, whose owner raises its window) and tells
// whether there was one. Wails does the same itself but then exits 1;
// asking first lets a second launch exit 0.
func RaiseRunning(conn *dbus.Conn, id string, args []string) bool {
	name, path := singleInstanceName(id)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var has bool
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has); err != nil || !has {
		return false
	}
	data := options.SecondInstanceData{Args: args}
	data.WorkingDirectory, _ = os.Getwd()
	msg, _ := json.Marshal(data)
	return conn.Object(name, path).CallWithContext(ctx, name+".SendMessage", 0, string(msg)).Err == nil
}

// raiseRunning is RaiseRunning on the session bus, false
// without one.
func raiseRunning(id string, args []string) bool {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return false
	}
	conn, err := dbus.SessionBus()
	if err != nil {
		return false
	}
	return RaiseRunning(conn, id, args)
}
