package buildtags

import (
	"testing"
	"time"
)

func TestAnswer(t *testing.T) {
	go func() {}()
	_ = time.Now()
}
