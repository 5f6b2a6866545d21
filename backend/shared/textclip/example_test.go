package textclip_test

import (
	"fmt"

	"github.com/konui/konui/backend/shared/textclip"
)

func ExampleHead() {
	fmt.Println(textclip.Head("Überprüfung läuft", 10))
	// Output: Überprüfun…
}
