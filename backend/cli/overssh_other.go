//go:build !unix

package cli

import (
	"context"
	"errors"
	"syscall"
)

func detachedAttr() *syscall.SysProcAttr { return nil }

func lockOverSSH(context.Context, string) (func(), error) {
	return nil, errors.New("konui konsole --over-ssh runs on Linux and macOS only")
}
