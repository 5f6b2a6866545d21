package agentpeer

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io/fs"
	"net"
	"os"
	"strconv"
	"strings"
)

// PeerUnder tells whether the process holding the other end of the TCP
// connection from peer to local (as the server sees it) is one of roots or
// a descendant of one. A peer on another machine, or one that is gone, is
// not. When an agent's process keeps its sockets out of sight (a
// non-dumpable or setuid process, whose /proc/<pid>/fd cannot be read) and
// no readable process holds the socket, the answer is yes: refusing is the
// safe guess there.
func PeerUnder(peer, local *net.TCPAddr, roots []int) bool {
	inode := socketInode(peer, local)
	if inode == "" {
		return false
	}
	target := "socket:[" + inode + "]"
	tree := descendants(roots)
	hidden := false
	for pid := range tree {
		switch holds(pid, target) {
		case yes:
			return true
		case unknown:
			hidden = true
		}
	}
	if !hidden {
		return false
	}
	// Some agent process cannot be read: the socket is an agent's unless
	// a readable process outside the trees holds it (the bridge, a browser).
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return true
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || tree[pid] {
			continue
		}
		if holds(pid, target) == yes {
			return false
		}
	}
	return true
}

// socketInode finds, in /proc/net/tcp and tcp6, the inode of the socket
// whose local end is peer and remote end local: the client's side of the
// connection. "" when there is none (the client is on another machine).
func socketInode(peer, local *net.TCPAddr) string {
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		if ino := findInode(table, peer, local); ino != "" {
			return ino
		}
	}
	return ""
}

func findInode(table string, peer, local *net.TCPAddr) string {
	f, err := os.Open(table)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // the header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 {
			continue
		}
		if sameAddr(fields[1], peer) && sameAddr(fields[2], local) && fields[9] != "0" {
			return fields[9]
		}
	}
	return ""
}

// sameAddr compares an address of /proc/net/tcp ("0100007F:1F90": the IP
// as 32-bit words in the machine's byte order, then the port) with a.
func sameAddr(field string, a *net.TCPAddr) bool {
	ipHex, portHex, ok := strings.Cut(field, ":")
	if !ok {
		return false
	}
	port, err := strconv.ParseUint(portHex, 16, 16)
	if err != nil || int(port) != a.Port {
		return false
	}
	raw, err := hex.DecodeString(ipHex)
	if err != nil || len(raw)%4 != 0 {
		return false
	}
	ip := make(net.IP, len(raw))
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(ip[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	return ip.Equal(a.IP)
}

// descendants is roots and every process below them, from the parent
// pid of each process in /proc/<pid>/stat.
func descendants(roots []int) map[int]bool {
	children := map[int][]int{}
	if ents, err := os.ReadDir("/proc"); err == nil {
		for _, e := range ents {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			if ppid, ok := parentOf(pid); ok {
				children[ppid] = append(children[ppid], pid)
			}
		}
	}
	tree := map[int]bool{}
	queue := append([]int(nil), roots...)
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		if pid <= 0 || tree[pid] {
			continue
		}
		tree[pid] = true
		queue = append(queue, children[pid]...)
	}
	return tree
}

// parentOf reads the parent pid from /proc/<pid>/stat; the command name
// before it is in parentheses and may hold spaces and parentheses itself.
func parentOf(pid int) (int, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	return ppid, err == nil
}

type answer int

const (
	no answer = iota
	yes
	unknown
)

// holds tells whether process pid has target ("socket:[inode]") among its
// open files; unknown when its files cannot be read.
func holds(pid int, target string) answer {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return no // gone since
		}
		return unknown
	}
	for _, e := range ents {
		if l, err := os.Readlink(dir + "/" + e.Name()); err == nil && l == target {
			return yes
		}
	}
	return no
}
