// Command fakeapi serves the fake Anthropic Messages API with the default
// script, for end-to-end tests written outside Go and for trying Konui offline.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"

	"github.com/konui/konui/backend/testkit/fakeapi"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	s, err := fakeapi.Start(*listen, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.URL)
	c := make(chan os.Signal, 1)
	signal.Notify(c, os.Interrupt)
	<-c
	s.Close()
}
