package app

import (
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"
)

type raiseHandler struct{ got chan string }

func (h raiseHandler) SendMessage(m string) *dbus.Error { h.got <- m; return nil }

func TestASecondLaunchHandsItsArgsToTheRunningOne(t *testing.T) {
	conn, addr := privateBus(t)
	if RaiseRunning(conn, UniqueID, nil) {
		t.Fatal("raised a konui that is not running")
	}
	first, _ := dbus.Connect(addr)
	defer first.Close()
	name, path := singleInstanceName(UniqueID)
	h := raiseHandler{got: make(chan string, 1)}
	if err := first.Export(h, path, name); err != nil {
		t.Fatal(err)
	}
	if r, err := first.RequestName(name, dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatal(err, r)
	}
	if !RaiseRunning(conn, UniqueID, []string{"--log-level", "debug"}) {
		t.Fatal("the running konui was not reached")
	}
	if m := <-h.got; !strings.Contains(m, `"--log-level","debug"`) {
		t.Fatalf("message %s", m)
	}
}
