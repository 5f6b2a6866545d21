package tail_test

import (
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/konui/konui/backend/shared/tail"
)

func TestABufferKeepsTheLastBytesWritten(t *testing.T) {
	b := tail.New(8)
	fmt.Fprint(b, "abc")
	if got := b.String(); got != "abc" {
		t.Fatalf("after abc: %q", got)
	}
	fmt.Fprint(b, "defghij")
	if got := b.String(); got != "cdefghij" {
		t.Fatalf("after 10 bytes into 8: %q, want the last 8", got)
	}
	n, err := b.Write([]byte(strings.Repeat("x", 20) + "END"))
	if n != 23 || err != nil {
		t.Fatalf("Write = %d, %v; want all of it taken", n, err)
	}
	if got := b.String(); got != "xxxxxEND" {
		t.Fatalf("after a write longer than the buffer: %q", got)
	}
}

// A real child's stderr, written from os/exec's copying goroutine while
// another goroutine reads the tail.
func TestABufferTakesAChildsStderrWhileItIsRead(t *testing.T) {
	b := tail.New(8 << 10)
	cmd := exec.Command("sh", "-c", `i=0; while [ $i -lt 2000 ]; do echo "line $i" >&2; i=$((i+1)); done; echo last >&2`)
	cmd.Stderr = b
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				if len(b.String()) > 8<<10 {
					t.Error("the tail grew past its limit")
					return
				}
			}
		}
	}()
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	if got := b.String(); len(got) != 8<<10 || !strings.HasSuffix(got, "line 1999\nlast\n") {
		t.Fatalf("kept %d bytes ending %q", len(got), got[len(got)-20:])
	}
}
