// Package gostmt starts goroutines.
package gostmt

// Start runs work on two goroutines.
func Start(work func()) {
	go work()   // want "go-stmt"
	go func() { // want "go-stmt"
		work()
	}()
}
