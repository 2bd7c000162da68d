//go:build ignore

// A generator run with go run; not part of the package.
package main

import (
	"fmt"
	"time"
)

func main() { fmt.Println(time.Now()) }
