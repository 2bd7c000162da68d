package main

import (
	"log/slog"
	"net"

	"github.com/stackworld/stackworld/world/debugapi"
	"github.com/stackworld/stackworld/world/server"
)

// serveDebug mounts the debug endpoint (package world/debugapi) on the metrics server's
// mux: `viewer --attach ADDR` watches it. It reads the world only between ticks (Do).
func serveDebug(m *metrics, srv *server.Server, control bool, log *slog.Logger) {
	m.mux.Handle(debugapi.Prefix, debugapi.NewHandler(srv, debugapi.Options{Control: control}))
	log.Info("serving the debug endpoint", "url", "http://"+m.addr+debugapi.Prefix, "control", control, "attach", "viewer --attach "+m.addr)
}

// loopbackDefault gives an address without a host the loopback host: the debug endpoint
// shows the whole world, so it is private unless asked otherwise (0.0.0.0:PORT).
func loopbackDefault(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host != "" {
		return addr
	}
	return net.JoinHostPort("127.0.0.1", port)
}
