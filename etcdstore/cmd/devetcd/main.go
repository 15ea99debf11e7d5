// Command devetcd runs a single-member etcd in one process, for trying
// the registry on etcd on one machine: no install step, no cluster.
// It is etcd's own server (go.etcd.io/etcd/server/v3/embed, the release
// the etcd store is tested against), not a stand-in; for production run
// a real etcd cluster.
//
//	devetcd [--listen 127.0.0.1:2379] [--dir DIR]
//
// It prints "devetcd: serving HOST:PORT" once ready, and runs until
// SIGINT or SIGTERM. Without --dir the data lives in a temporary
// directory removed at exit.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "devetcd:", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:2379", "client `address` (host:port)")
	dir := flag.String("dir", "", "data `directory` (default: a temporary one, removed at exit)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *dir == "" {
		tmp, err := os.MkdirTemp("", "devetcd")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		*dir = tmp
	}
	cu, err := url.Parse("http://" + *listen)
	if err != nil {
		return fmt.Errorf("--listen %q: want host:port", *listen)
	}
	peer, err := freePort() // a single member needs no peer port others know
	if err != nil {
		return err
	}
	pu, _ := url.Parse("http://" + peer)
	cfg := embed.NewConfig()
	cfg.Name = "devetcd"
	cfg.Dir = *dir
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return err
	}
	defer e.Close()
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		return err
	case <-time.After(time.Minute):
		return fmt.Errorf("not ready after a minute")
	}
	fmt.Printf("devetcd: serving %s\n", *listen)
	select {
	case <-ctx.Done():
	case err := <-e.Err():
		return err
	}
	return nil
}

// freePort returns a loopback address with a port free at the moment.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
