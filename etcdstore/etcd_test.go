package etcdstore_test

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// member is one embedded etcd server.
type member struct {
	e      *embed.Etcd
	name   string
	client string // host:port
	dir    string
}

// cluster is n embedded etcd members on loopback ports, stopped at the
// end of the test.
type cluster struct {
	t       testing.TB
	members []*member
}

// freePorts reserves n loopback ports. Another process could take one
// between here and etcd's listen; startCluster then tries again.
func freePorts(t testing.TB, n int) []int {
	ports := make([]int, n)
	var ls []net.Listener
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ls = append(ls, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// startCluster starts n members and waits until they have a leader.
func startCluster(t testing.TB, n int) *cluster {
	t.Helper()
	var err error
	for try := 0; try < 3; try++ {
		var c *cluster
		if c, err = tryCluster(t, n); err == nil {
			t.Cleanup(c.stopAll)
			return c
		}
	}
	require.NoError(t, err)
	return nil
}

func tryCluster(t testing.TB, n int) (*cluster, error) {
	ports := freePorts(t, 2*n)
	c := &cluster{t: t}
	var initial []string
	for i := range n {
		initial = append(initial, fmt.Sprintf("m%d=http://127.0.0.1:%d", i, ports[2*i+1]))
	}
	for i := range n {
		cfg := embed.NewConfig()
		cfg.Name = fmt.Sprintf("m%d", i)
		cfg.Dir = t.TempDir()
		cu, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", ports[2*i]))
		pu, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", ports[2*i+1]))
		cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
		cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
		cfg.InitialCluster = strings.Join(initial, ",")
		cfg.InitialClusterToken = "objrmi-test"
		cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
		// etcd's defaults (100 ms heartbeat, 1 s election): a loaded
		// 2-core machine running -race must not see false elections.
		cfg.TickMs, cfg.ElectionMs = 100, 1000
		e, err := embed.StartEtcd(cfg)
		if err != nil {
			c.stopAll()
			return nil, err
		}
		c.members = append(c.members, &member{e: e, name: cfg.Name, client: cu.Host, dir: cfg.Dir})
	}
	for _, m := range c.members {
		select {
		case <-m.e.Server.ReadyNotify():
		case err := <-m.e.Err():
			c.stopAll()
			return nil, err
		case <-time.After(30 * time.Second):
			c.stopAll()
			return nil, fmt.Errorf("etcd member %s not ready after 30 s", m.name)
		}
	}
	return c, nil
}

// endpoints are the members' client addresses.
func (c *cluster) endpoints() []string {
	var out []string
	for _, m := range c.members {
		out = append(out, m.client)
	}
	return out
}

// url is the store URL for prefix.
func (c *cluster) url(prefix string) string {
	return "etcd://" + strings.Join(c.endpoints(), ",") + "/" + prefix
}

// stop stops member i as a crash would: no leadership transfer.
func (c *cluster) stop(i int) {
	m := c.members[i]
	if m.e == nil {
		return
	}
	m.e.Server.HardStop()
	m.e.Close()
	m.e = nil
}

func (c *cluster) stopAll() {
	for i := range c.members {
		c.stop(i)
	}
}

// leader is the index of the member that leads, or -1.
func (c *cluster) leader() int {
	for i, m := range c.members {
		if m.e != nil && m.e.Server.Leader() == m.e.Server.MemberID() {
			return i
		}
	}
	return -1
}
