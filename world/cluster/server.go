package cluster

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// ServerOptions configure an embedded NATS server. The zero value is a server on a random
// loopback port with JetStream in a temporary store, logs and signals off.
type ServerOptions struct {
	Host     string // default "127.0.0.1"
	Port     int    // 0: random (server.RANDOM_PORT)
	StoreDir string // JetStream storage; "" means a new temporary directory (the caller removes it: Server.StoreDir)
	// Name names the server in a cluster; Cluster, with Routes, joins others.
	Name    string
	Cluster *server.ClusterOpts
	Routes  []string // nats-route://host:port of the other servers
	// MaxPayload is the largest message; migration batches are cut to fit. 0: 8 MiB.
	MaxPayload int32
	// Log turns the server's own log on (stderr).
	Log bool
}

// DefaultMaxPayload is the embedded server's largest message.
const DefaultMaxPayload = 8 << 20

// readyTimeout bounds how long StartServer waits for the server to accept clients.
const readyTimeout = 20 * time.Second

// StartServer starts an embedded NATS server with JetStream and waits until it accepts
// clients (ReadyForConnections, never a sleep). Shut it down with Shutdown.
func StartServer(o ServerOptions) (*server.Server, error) {
	opts := &server.Options{
		ServerName: o.Name, Host: o.Host, Port: o.Port, JetStream: true, StoreDir: o.StoreDir,
		NoLog: !o.Log, NoSigs: true, MaxPayload: o.MaxPayload,
	}
	if opts.StoreDir == "" {
		dir, err := os.MkdirTemp("", "stackworld-nats-")
		if err != nil {
			return nil, fmt.Errorf("cluster: embedded NATS server: %w", err)
		}
		opts.StoreDir = dir
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.Port == 0 {
		opts.Port = server.RANDOM_PORT
	}
	if opts.MaxPayload == 0 {
		opts.MaxPayload = DefaultMaxPayload
	}
	if o.Cluster != nil {
		opts.Cluster = *o.Cluster
		for _, r := range o.Routes {
			u, err := parseRoute(r)
			if err != nil {
				return nil, err
			}
			opts.Routes = append(opts.Routes, u)
		}
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("cluster: embedded NATS server: %w", err)
	}
	if o.Log {
		s.ConfigureLogger()
	}
	go s.Start() // determinism: the NATS server, outside every world
	if !s.ReadyForConnections(readyTimeout) {
		s.Shutdown()
		return nil, fmt.Errorf("cluster: embedded NATS server not ready after %v", readyTimeout)
	}
	return s, nil
}

// ConnectOptions are how a zone reaches an external NATS: the URL(s) and the
// authentication the servers ask for. Every field is optional.
type ConnectOptions struct {
	URL       string // comma-separated nats:// or tls:// URLs
	Token     string
	User      string
	Password  string
	NKeyFile  string // an nkey seed file
	CredsFile string // a JWT credentials file (NGS, operator mode)
	TLSCA     string // CA certificate to verify the servers
	TLSCert   string // client certificate and key, when the servers ask for one
	TLSKey    string
	Name      string // the connection's name, shown by `nats server report connections`
}

// Connect connects to NATS with o, reconnecting forever after a cut (the zone keeps
// ticking; migrations wait until the connection is back).
func Connect(o ConnectOptions) (*nats.Conn, error) {
	if o.URL == "" {
		return nil, errors.New("cluster: connect: no NATS URL (--nats nats://host:4222)")
	}
	opts := []nats.Option{nats.Name(o.Name), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond),
		nats.RetryOnFailedConnect(false),
		nats.ReconnectBufSize(-1)} // while cut, operations fail at once instead of applying late
	if o.Token != "" {
		opts = append(opts, nats.Token(o.Token))
	}
	if o.User != "" {
		opts = append(opts, nats.UserInfo(o.User, o.Password))
	}
	if o.NKeyFile != "" {
		opt, err := nats.NkeyOptionFromSeed(o.NKeyFile)
		if err != nil {
			return nil, fmt.Errorf("cluster: connect: nkey %s: %w", o.NKeyFile, err)
		}
		opts = append(opts, opt)
	}
	if o.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(o.CredsFile))
	}
	if o.TLSCA != "" {
		opts = append(opts, nats.RootCAs(o.TLSCA))
	}
	if o.TLSCert != "" || o.TLSKey != "" {
		opts = append(opts, nats.ClientCert(o.TLSCert, o.TLSKey))
	}
	if o.TLSCA != "" || o.TLSCert != "" {
		opts = append(opts, nats.Secure(&tls.Config{MinVersion: tls.VersionTLS12}))
	}
	nc, err := nats.Connect(o.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("cluster: connect %s: %w", o.URL, err)
	}
	return nc, nil
}
