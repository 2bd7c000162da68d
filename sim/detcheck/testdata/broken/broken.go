// Package broken does not compile.
package broken

// Bad returns a string as an int.
func Bad() int { return "not an int" }
