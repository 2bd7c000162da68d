package server

// LastCaptureWarm reports whether the server's latest capture took all its tables from
// its spare's memory (persist.Capture.Warm). Call it on the loop goroutine (OnSave).
func LastCaptureWarm(s *Server) bool { return s.saver.last != nil && s.saver.last.Warm() }
