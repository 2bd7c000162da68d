package cluster

import (
	"fmt"
	"net/url"
)

func parseRoute(r string) (*url.URL, error) {
	u, err := url.Parse(r)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("cluster: route %q is not a URL like nats-route://127.0.0.1:6222", r)
	}
	return u, nil
}
