package app

import (
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	user32          = windows.NewLazySystemDLL("user32.dll")
	procFindWindowW = user32.NewProc("FindWindowW")
	procSendMessage = user32.NewProc("SendMessageW")
)

const wmCopyData = 0x004A

// copyDataStruct is Win32's COPYDATASTRUCT.
type copyDataStruct struct {
	dwData uintptr
	cbData uint32
	lpData uintptr
}

// raiseRunning hands args to a konui already running in this session and
// tells whether there was one: the named mutex of Wails' single-instance
// lock is held, and its message window takes the arguments (its owner
// raises its window). Wails does the same itself inside wails.Run; asking
// first lets a second launch say so and exit before it opens anything.
func raiseRunning(id string, args []string) bool {
	mutex, class, window := windowsInstance(id)
	name, err := windows.UTF16PtrFromString(mutex)
	if err != nil {
		return false
	}
	h, err := windows.OpenMutex(windows.SYNCHRONIZE, false, name)
	if err != nil {
		return false // ERROR_FILE_NOT_FOUND: no konui holds it
	}
	windows.CloseHandle(h)
	cls, _ := windows.UTF16PtrFromString(class)
	win, _ := windows.UTF16PtrFromString(window)
	hwnd, _, _ := procFindWindowW.Call(uintptr(unsafe.Pointer(cls)), uintptr(unsafe.Pointer(win)))
	if hwnd == 0 {
		return false
	}
	wd, _ := os.Getwd()
	msg, err := windows.UTF16FromString(secondInstanceMessage(args, wd))
	if err != nil {
		return false
	}
	cds := copyDataStruct{dwData: wmCopyDataSecondInstance, cbData: uint32(len(msg) * 2), lpData: uintptr(unsafe.Pointer(&msg[0]))}
	// SendMessage returns once the running konui has read the data.
	// Call's error is the thread's last error, set whatever SendMessage did;
	// a running konui that could not read the data shows no window either way.
	_, _, _ = procSendMessage.Call(hwnd, wmCopyData, 0, uintptr(unsafe.Pointer(&cds)))
	return true
}
