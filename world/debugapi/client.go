package debugapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// A Client reads a debug endpoint. Its answers are checked (see DecodeFrame); an error
// never leaves the client in a bad state, so the caller may simply retry. Safe for
// concurrent use.
type Client struct {
	base string
	hc   *http.Client
	// MaxBytes bounds the bytes read of one answer (MaxResponseBytes by NewClient).
	MaxBytes int64
}

// DefaultTimeout bounds one request of a Client.
const DefaultTimeout = 10 * time.Second

// NewClient returns a client for the endpoint at addr: "host:port" or an http:// URL.
func NewClient(addr string) (*Client, error) {
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("debugapi: address %q: want host:port or http://host:port", addr)
	}
	return &Client{base: strings.TrimSuffix(u.String(), "/") + strings.TrimSuffix(Prefix, "/"), hc: &http.Client{Timeout: DefaultTimeout}, MaxBytes: MaxResponseBytes}, nil
}

// get fetches path and hands the body to decode.
func (c *Client) get(ctx context.Context, method, path string, decode func(io.Reader) error) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+"/"+path, nil)
	if err != nil {
		return fmt.Errorf("debugapi: %w", err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("debugapi: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("debugapi: %s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(strings.ToValidUTF8(string(msg), "?")))
	}
	if decode == nil {
		return nil
	}
	return decode(resp.Body)
}

// Frame fetches the world's frame.
func (c *Client) Frame(ctx context.Context) (*Frame, error) {
	var f *Frame
	err := c.get(ctx, http.MethodGet, "frame", func(r io.Reader) (err error) { f, err = decodeFrame(r, c.MaxBytes); return err })
	return f, err
}

// Entity fetches the inspector's lines for entity id.
func (c *Client) Entity(ctx context.Context, id uint32) (*Entity, error) {
	var e *Entity
	err := c.get(ctx, http.MethodGet, "entity?id="+strconv.FormatUint(uint64(id), 10), func(r io.Reader) (err error) { e, err = DecodeEntity(r); return err })
	return e, err
}

// Tasklets fetches the tasklet list: outline state ("" for all) and search text q.
func (c *Client) Tasklets(ctx context.Context, state, q string) (*Tasklets, error) {
	var t *Tasklets
	path := "tasklets?state=" + url.QueryEscape(state) + "&q=" + url.QueryEscape(q)
	err := c.get(ctx, http.MethodGet, path, func(r io.Reader) (err error) { t, err = DecodeTasklets(r); return err })
	return t, err
}

// Control asks the server to "pause", "resume" or "step" (n ticks); it fails unless the
// server runs with control on.
func (c *Client) Control(ctx context.Context, op string, n uint64) error {
	return c.get(ctx, http.MethodPost, "control?op="+url.QueryEscape(op)+"&n="+strconv.FormatUint(n, 10), nil)
}

// SetRate asks the server to run ticksPerSecond ticks a second (0: as fast as possible)
// from its next tick boundary; it fails unless the server runs with control on, or if the
// server refuses the rate (outside [0, server.MaxRate]).
func (c *Client) SetRate(ctx context.Context, ticksPerSecond float64) error {
	return c.get(ctx, http.MethodPost, "control?op=rate&r="+strconv.FormatFloat(ticksPerSecond, 'g', -1, 64), nil)
}
