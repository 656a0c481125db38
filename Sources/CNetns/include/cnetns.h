#ifndef CNETNS_H
#define CNETNS_H
#include <poll.h>  // pollfd and its fields for the agent's Swift, which would otherwise get them from another module
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/// Enters the network namespace open at `fd` on the calling thread (setns(2) with CLONE_NEWNET).
/// Returns 0, or -1 with errno set.
int cnetns_enter(int fd);

/// A non-blocking, close-on-exec eventfd(2) starting at 0, for waking a thread blocked in poll(2).
/// Returns the descriptor, or -1 with errno set.
int cnetns_eventfd(void);

/// Adds 1 to the eventfd `fd`, making it readable. Returns 0, or -1 with errno set.
int cnetns_eventfd_signal(int fd);

/// Names the calling thread `name` (pthread_setname_np(3), a GNU extension Swift's Glibc module does not show):
/// the kernel keeps 15 bytes at most and refuses a longer name. Returns 0 or an error number.
int cnetns_name_current_thread(const char *name);

/// The process and user of the peer of the connected Unix socket `fd` (SO_PEERCRED; `struct ucred` needs
/// _GNU_SOURCE, which Swift's Glibc module does not define). Returns 0, or -1 with errno.
int cnetns_peer_credentials(int fd, pid_t *pid, uid_t *uid);

/// Opens a send-only IPv4 socket for mirrored traffic, in the calling thread's network namespace:
/// a raw socket for IP protocol `ip_protocol` (the kernel adds the IPv4 header; 47 for GRE), or a UDP
/// socket when `ip_protocol` is 0. The socket is close-on-exec, lets the kernel fragment datagrams larger
/// than the path MTU (IP_PMTUDISC_DONT), asks for a send buffer of `send_buffer_bytes` (forced when
/// the caller may), and discards everything it would receive (a drop-all socket filter), so a raw GRE
/// socket does not queue a copy of every GRE packet the host receives.
/// Returns the descriptor, or -1 with errno set.
int cnetns_mirror_socket(int ip_protocol, int send_buffer_bytes);

/// Sends `count` datagrams to `destination` through `fd` with as few sendmmsg(2) calls as possible
/// (MSG_DONTWAIT). Datagram i is `lengths[i]` bytes at `arena + offsets[i]`.
///
/// A datagram the kernel refuses (EMSGSIZE, ENETUNREACH, EPERM, …) is skipped and the rest still go;
/// when the socket's buffer is full (EAGAIN, ENOBUFS) the remaining datagrams are given up.
/// Returns how many datagrams were sent; `*last_error` is the errno of the last failure, or 0.
unsigned int cnetns_send_batch(int fd, const struct sockaddr *destination, socklen_t destination_length,
                               const unsigned char *arena, const uint32_t *offsets, const uint32_t *lengths,
                               unsigned int count, int *last_error);

/// Receives up to `count` datagrams from `fd` with one recvmmsg(2) (MSG_DONTWAIT): datagram i goes to
/// `arena + i * slot_size` (cut to `slot_size`) and its length to `lengths[i]`.
/// Returns how many were received (0 when none is waiting or on error).
unsigned int cnetns_receive_batch(int fd, unsigned char *arena, size_t slot_size, size_t *lengths, unsigned int count);

/// What rtnetlink says of one interface of the calling thread's network namespace.
struct cnetns_link {
    /// The interface's index.
    int ifindex;
    /// IFLA_LINK: for a veth, its peer's index (in the peer's namespace); 0 when absent.
    int link_ifindex;
    /// IFLA_LINK_NETNSID: the id, in this namespace, of the namespace ``link_ifindex`` is in;
    /// -1 when absent (the peer, if any, is in this same namespace).
    int link_nsid;
    /// IFLA_MASTER: the bridge (or bond) the interface is enslaved to; 0 when none.
    int master_ifindex;
    /// IFLA_INFO_KIND: `veth`, `bridge`, …; empty for a physical interface.
    char kind[32];
};

/// Looks up the interface `name` (when not NULL) or the interface with index `ifindex` in the calling
/// thread's network namespace with one RTM_GETLINK request. Returns 0, or -1 with errno set (ENODEV
/// when there is no such interface).
int cnetns_link(const char *name, int ifindex, struct cnetns_link *out);

/// The id the calling thread's network namespace gives the namespace open at `namespace_fd`
/// (RTM_GETNSID with NETNSA_FD): >= 0, or -1 when it has none (NETNSA_NSID_NOT_ASSIGNED). Returns
/// -2 with errno set when the request fails.
int cnetns_nsid_of(int namespace_fd);
#endif
