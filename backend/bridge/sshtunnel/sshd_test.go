//go:build linux

package sshtunnel_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// sshdPath is Debian's openssh-server (make setup installs it).
const sshdPath = "/usr/sbin/sshd"

// sshd is a real OpenSSH server on 127.0.0.1 that lets the test's own key
// in as the current user, with a client config for it (host alias
// "konui-test") to give ssh as -F.
type sshd struct {
	t       *testing.T
	dir     string
	port    int
	userKey string
	hostPub string
	cmd     *exec.Cmd
	log     *kt.SyncBuffer
	done    chan struct{}
}

func keygen(t *testing.T, path string) {
	t.Helper()
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "konui-test", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
}

// startSSHD starts sshd; env is what every session gets (SetEnv: the
// remote konui's HOME, XDG folders, PATH and the fake API).
func startSSHD(t *testing.T, env map[string]string) *sshd {
	t.Helper()
	if _, err := os.Stat(sshdPath); err != nil {
		t.Fatalf("openssh-server is not installed (%s): run \"make setup\"", sshdPath)
	}
	if os.Geteuid() == 0 {
		// sshd running as root wants its privilege separation folder.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s := &sshd{t: t, dir: t.TempDir()}
	keygen(t, filepath.Join(s.dir, "host_key"))
	s.userKey = filepath.Join(s.dir, "user_key")
	keygen(t, s.userKey)
	pub, err := os.ReadFile(s.userKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, "authorized_keys"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	hostPub, err := os.ReadFile(filepath.Join(s.dir, "host_key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	s.hostPub = strings.TrimSpace(string(hostPub))
	var setenv []string
	for k, v := range env {
		setenv = append(setenv, fmt.Sprintf("%q", k+"="+v))
	}
	sort.Strings(setenv)
	for try := 0; ; try++ {
		s.port = freePort(t)
		conf := filepath.Join(s.dir, "sshd_config")
		lines := []string{
			fmt.Sprintf("ListenAddress 127.0.0.1:%d", s.port),
			"HostKey " + filepath.Join(s.dir, "host_key"),
			"AuthorizedKeysFile " + filepath.Join(s.dir, "authorized_keys"),
			"PidFile none",
			// The test's folders are under /tmp, which everyone may write
			// to: StrictModes would refuse the authorized_keys there.
			"StrictModes no",
			"UsePAM no",
			"PasswordAuthentication no",
			"KbdInteractiveAuthentication no",
			"PermitRootLogin prohibit-password",
			"AllowTcpForwarding yes",
			"LogLevel VERBOSE",
		}
		if len(setenv) > 0 {
			lines = append(lines, "SetEnv "+strings.Join(setenv, " "))
		}
		if err := os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		s.log = &kt.SyncBuffer{}
		s.cmd = exec.Command(sshdPath, "-D", "-e", "-f", conf)
		s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
		if err := s.cmd.Start(); err != nil {
			t.Fatalf("failed to start sshd: %v", err)
		}
		s.done = make(chan struct{})
		go func() { s.cmd.Wait(); close(s.done) }()
		if s.ready(10 * time.Second) {
			break
		}
		s.stop()
		if try == 2 {
			t.Fatalf("sshd did not come up on 127.0.0.1:%d:\n%s", s.port, s.log.String())
		}
	}
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("sshd's log:\n%s", s.log.String())
		}
	})
	return s
}

// ready waits until sshd sends its banner.
func (s *sshd) ready(wait time.Duration) bool {
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return false
		default:
		}
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.port), time.Second)
		if err == nil {
			var line string
			if err := c.SetDeadline(time.Now().Add(2 * time.Second)); err == nil {
				line, _ = bufio.NewReader(c).ReadString('\n')
			}
			c.Close()
			if strings.HasPrefix(line, "SSH-2.0-") {
				return true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

func (s *sshd) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// clientConfig writes an ssh config for host alias konui-test; knownHosts
// is the file's content (the server's real key when "" is not wanted, use
// s.knownHosts()), key the identity to offer.
func (s *sshd) clientConfig(name, knownHosts, key string) string {
	s.t.Helper()
	u, err := user.Current()
	if err != nil {
		s.t.Fatal(err)
	}
	kh := filepath.Join(s.dir, name+".known_hosts")
	if err := os.WriteFile(kh, []byte(knownHosts), 0o600); err != nil {
		s.t.Fatal(err)
	}
	conf := filepath.Join(s.dir, name+".ssh_config")
	text := fmt.Sprintf(`Host konui-test
  HostName 127.0.0.1
  Port %d
  User %s
  IdentityFile %s
  IdentitiesOnly yes
  IdentityAgent none
  UserKnownHostsFile %s
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  LogLevel ERROR
`, s.port, u.Username, key, kh)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		s.t.Fatal(err)
	}
	return conf
}

// knownHosts is a known_hosts line with the server's real host key.
func (s *sshd) knownHosts() string {
	return fmt.Sprintf("[127.0.0.1]:%d %s\n", s.port, s.hostPub)
}

// config is the ordinary client config: the real host key, the test's key.
func (s *sshd) config() string {
	return s.clientConfig("ok", s.knownHosts(), s.userKey)
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// ctxFor is a context that ends with the test or after d.
func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
