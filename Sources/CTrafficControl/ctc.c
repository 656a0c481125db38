// rtnetlink for the agent's in-kernel mirrors; see include/ctc.h. Requests are built in a fixed buffer
// (no allocation), sent with NLM_F_ACK, and answered by the kernel's error message; dumps are read until
// NLMSG_DONE.
//
// Every public function runs under one process-wide lock: a socket is shared by the threads of a mirror
// (its deadline's task, the reconciler, status reports), and a request and its answer must not interleave
// with another's on it — a thread would read the other's answer and wait for its own forever. The kernel
// answers before `sendto` returns, so a call holds the lock for microseconds; a receive timeout bounds it
// should an answer never come. The lock also lets the answer buffers be static rather than per thread.
#define _GNU_SOURCE
#include "ctc.h"

#include <errno.h>
#include <pthread.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/gen_stats.h>
#include <linux/veth.h>
#include <linux/tc_act/tc_mirred.h>

#ifndef TCA_POLICE_RATE64
#define TCA_POLICE_RATE64 8
#endif

/// Recursive: a public function may call another (``ctc_vxlan_add`` finds the link it made).
static pthread_mutex_t ctc_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

static void ctc_unlock(int *unused) {
    (void)unused;
    pthread_mutex_unlock(&ctc_lock);
}

/// Holds ``ctc_lock`` until the enclosing function returns (pthread_mutex_unlock leaves errno alone).
#define CTC_LOCKED int ctc_guard __attribute__((cleanup(ctc_unlock), unused)) = pthread_mutex_lock(&ctc_lock)

/// How long a request waits for the kernel's answer before failing with ETIMEDOUT.
#define CTC_RECEIVE_TIMEOUT_SECONDS 5

/// A request under construction: the message, then its attributes. `overflowed` is set when an attribute
/// did not fit; such a request is never sent (EMSGSIZE) rather than sent without it.
struct ctc_message {
    union {
        struct nlmsghdr header;
        // A filter carries its program (8 bytes an instruction, up to the kernel's 4096) and its actions.
        char bytes[40960];
    };
    int overflowed;
};

static void *ctc_tail(struct ctc_message *m) { return m->bytes + NLMSG_ALIGN(m->header.nlmsg_len); }

/// Starts a request of `type` whose fixed part is `size` bytes (zeroed) and returns that part.
static void *ctc_begin(struct ctc_message *m, uint16_t type, uint16_t flags, size_t size) {
    memset(m->bytes, 0, NLMSG_LENGTH(size));
    m->overflowed = 0;
    m->header.nlmsg_type = type;
    m->header.nlmsg_flags = NLM_F_REQUEST | flags;
    m->header.nlmsg_len = NLMSG_LENGTH(size);
    return NLMSG_DATA(&m->header);
}

/// Appends an attribute; returns it (NULL when the buffer is full).
static struct rtattr *ctc_put(struct ctc_message *m, uint16_t type, const void *data, size_t length) {
    size_t total = NLMSG_ALIGN(m->header.nlmsg_len) + RTA_ALIGN(RTA_LENGTH(length));
    if (total > sizeof m->bytes) {
        m->overflowed = 1;
        return NULL;
    }
    struct rtattr *attribute = ctc_tail(m);
    attribute->rta_type = type;
    attribute->rta_len = RTA_LENGTH(length);
    if (length) memcpy(RTA_DATA(attribute), data, length);
    m->header.nlmsg_len = total;
    return attribute;
}

static void ctc_put_string(struct ctc_message *m, uint16_t type, const char *text) {
    ctc_put(m, type, text, strlen(text) + 1);
}

static void ctc_put_u32(struct ctc_message *m, uint16_t type, uint32_t value) { ctc_put(m, type, &value, sizeof value); }

/// Opens a nested attribute; close it with ``ctc_nest_end``.
static struct rtattr *ctc_nest(struct ctc_message *m, uint16_t type) { return ctc_put(m, type | NLA_F_NESTED, NULL, 0); }

static void ctc_nest_end(struct ctc_message *m, struct rtattr *nest) {
    if (nest) nest->rta_len = (unsigned short)((char *)ctc_tail(m) - (char *)nest);
}

int ctc_open(void) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return -1;
    struct sockaddr_nl local = {.nl_family = AF_NETLINK};
    if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    int one = 1;
    // Errors carry the kernel's extended acknowledgement but not the request (smaller answers).
    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
    struct timeval timeout = {.tv_sec = CTC_RECEIVE_TIMEOUT_SECONDS};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/// One counter for the process (under ``ctc_lock``): an answer is matched to its request by sequence, on
/// whichever socket and thread.
static uint32_t ctc_sequence(void) {
    static uint32_t sequence;
    return ++sequence;
}

/// Receives one datagram of answers; -1 with ETIMEDOUT when the kernel did not answer in time.
static ssize_t ctc_receive(int fd, char *answer, size_t capacity) {
    ssize_t length;
    do {
        length = recv(fd, answer, capacity, 0);
    } while (length < 0 && errno == EINTR);
    if (length < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) errno = ETIMEDOUT;
    return length;
}

/// Sends `m`; a request an attribute did not fit in is refused here.
static int ctc_send(int fd, struct ctc_message *m) {
    if (m->overflowed) {
        errno = EMSGSIZE;
        return -1;
    }
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    ssize_t sent;
    do {
        sent = sendto(fd, m->bytes, m->header.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel);
    } while (sent < 0 && errno == EINTR);
    return sent < 0 ? -1 : 0;
}

/// Sends `m` and returns its first answer message in `answer` (an NLMSG_ERROR of 0 for an acknowledged
/// request, or the object asked for). -1 with errno from the kernel's error.
static ssize_t ctc_transact(int fd, struct ctc_message *m, char *answer, size_t capacity) {
    m->header.nlmsg_seq = ctc_sequence();
    if (ctc_send(fd, m) < 0) return -1;
    for (;;) {
        ssize_t length = ctc_receive(fd, answer, capacity);
        if (length < 0) return -1;
        struct nlmsghdr *header = (struct nlmsghdr *)answer;
        if (!NLMSG_OK(header, (size_t)length)) {
            errno = EPROTO;
            return -1;
        }
        // An answer to an earlier request that timed out or was abandoned: skip it.
        if (header->nlmsg_seq != m->header.nlmsg_seq) continue;
        if (header->nlmsg_type == NLMSG_ERROR) {
            struct nlmsgerr *error = NLMSG_DATA(header);
            if (error->error) {
                errno = -error->error;
                return -1;
            }
        }
        return length;
    }
}

/// Sends `m` with NLM_F_ACK and waits for the acknowledgement.
static int ctc_request(int fd, struct ctc_message *m) {
    m->header.nlmsg_flags |= NLM_F_ACK;
    char answer[4096];
    return ctc_transact(fd, m, answer, sizeof answer) < 0 ? -1 : 0;
}

/// Sends the dump request `m` and calls `each` for every message of the answer; stops early (and returns
/// -1, errno set) when `each` returns non-zero after reading the rest. A dump the kernel reports as
/// inconsistent (the objects changed while it was read) fails with EAGAIN, as does one ending in an error.
static int ctc_dump(int fd, struct ctc_message *m, int (*each)(struct nlmsghdr *, void *), void *context) {
    m->header.nlmsg_flags |= NLM_F_DUMP;
    m->header.nlmsg_seq = ctc_sequence();
    if (ctc_send(fd, m) < 0) return -1;
    static char answer[65536];
    int failed = 0, interrupted = 0;
    for (;;) {
        ssize_t length = ctc_receive(fd, answer, sizeof answer);
        if (length < 0) return -1;
        for (struct nlmsghdr *header = (struct nlmsghdr *)answer; NLMSG_OK(header, (size_t)length);
             header = NLMSG_NEXT(header, length)) {
            if (header->nlmsg_seq != m->header.nlmsg_seq) continue;
            if (header->nlmsg_flags & NLM_F_DUMP_INTR) interrupted = 1;
            if (header->nlmsg_type == NLMSG_DONE) {
                int status = 0;
                if (header->nlmsg_len >= NLMSG_LENGTH(sizeof status)) memcpy(&status, NLMSG_DATA(header), sizeof status);
                if (status < 0) {
                    errno = -status;
                    return -1;
                }
                if (interrupted) {
                    errno = EAGAIN;
                    return -1;
                }
                if (failed) {
                    errno = ECANCELED;
                    return -1;
                }
                return 0;
            }
            if (header->nlmsg_type == NLMSG_ERROR) {
                struct nlmsgerr *error = NLMSG_DATA(header);
                errno = error->error ? -error->error : EPROTO;
                return -1;
            }
            if (!failed && each(header, context) != 0) failed = 1;
        }
    }
}

// MARK: Links

static struct ifinfomsg *ctc_begin_link(struct ctc_message *m, uint16_t type, uint16_t flags, int ifindex) {
    struct ifinfomsg *info = ctc_begin(m, type, flags, sizeof(struct ifinfomsg));
    info->ifi_family = AF_UNSPEC;
    info->ifi_index = ifindex;
    return info;
}

/// Starts the creation of the link `name` of `kind` with `mtu`, down (the caller turns IPv6 off first, so the
/// device never sends a solicitation of its own); returns the IFLA_LINKINFO nest in `linkinfo` and the open
/// IFLA_INFO_DATA nest, both for ``ctc_nest_end`` (data first).
static struct rtattr *ctc_begin_new_link(struct ctc_message *m, const char *name, uint32_t mtu, const char *kind,
                                         struct rtattr **linkinfo) {
    ctc_begin_link(m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
    ctc_put_string(m, IFLA_IFNAME, name);
    ctc_put_u32(m, IFLA_MTU, mtu);
    *linkinfo = ctc_nest(m, IFLA_LINKINFO);
    ctc_put_string(m, IFLA_INFO_KIND, kind);
    return ctc_nest(m, IFLA_INFO_DATA);
}

int ctc_vxlan_add(int fd, const char *name, uint32_t vni, uint32_t remote, uint16_t port) {
    CTC_LOCKED;
    struct ctc_message m;
    struct rtattr *linkinfo;
    struct rtattr *data = ctc_begin_new_link(&m, name, 65000, "vxlan", &linkinfo);
    ctc_put_u32(&m, IFLA_VXLAN_ID, vni);
    ctc_put(&m, IFLA_VXLAN_GROUP, &remote, sizeof remote);
    uint16_t port_be = htons(port);
    ctc_put(&m, IFLA_VXLAN_PORT, &port_be, sizeof port_be);
    uint8_t no = 0;
    ctc_put(&m, IFLA_VXLAN_LEARNING, &no, sizeof no);
    ctc_nest_end(&m, data);
    ctc_nest_end(&m, linkinfo);
    if (ctc_request(fd, &m) < 0) return -1;
    return ctc_link_find(fd, name, NULL, NULL);
}

int ctc_veth_add(int fd, const char *name, const char *peer_name, int peer_netns_fd) {
    CTC_LOCKED;
    struct ctc_message m;
    struct rtattr *linkinfo;
    struct rtattr *data = ctc_begin_new_link(&m, name, 65535, "veth", &linkinfo);
    struct rtattr *peer = ctc_nest(&m, VETH_INFO_PEER);
    // The peer's own ifinfomsg, then its attributes.
    // The peer is brought up by the caller, in its own namespace: the kernel refuses (ENOTCONN) to change
    // the flags of a peer it is moving.
    struct ifinfomsg peer_info = {.ifi_family = AF_UNSPEC};
    if (NLMSG_ALIGN(m.header.nlmsg_len) + NLMSG_ALIGN(sizeof peer_info) > sizeof m.bytes) {
        errno = ENOBUFS;
        return -1;
    }
    memcpy(ctc_tail(&m), &peer_info, sizeof peer_info);
    m.header.nlmsg_len = NLMSG_ALIGN(m.header.nlmsg_len) + NLMSG_ALIGN(sizeof peer_info);
    ctc_put_string(&m, IFLA_IFNAME, peer_name);
    ctc_put_u32(&m, IFLA_MTU, 65535);
    if (peer_netns_fd >= 0) ctc_put_u32(&m, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd);
    ctc_nest_end(&m, peer);
    ctc_nest_end(&m, data);
    ctc_nest_end(&m, linkinfo);
    if (ctc_request(fd, &m) < 0) return -1;
    return ctc_link_find(fd, name, NULL, NULL);
}

int ctc_link_up(int fd, int ifindex) {
    CTC_LOCKED;
    struct ctc_message m;
    struct ifinfomsg *info = ctc_begin_link(&m, RTM_NEWLINK, 0, ifindex);
    info->ifi_flags = IFF_UP;
    info->ifi_change = IFF_UP;
    return ctc_request(fd, &m);
}

int ctc_link_set_alias(int fd, int ifindex, const char *alias) {
    CTC_LOCKED;
    struct ctc_message m;
    ctc_begin_link(&m, RTM_NEWLINK, 0, ifindex);
    ctc_put_string(&m, IFLA_IFALIAS, alias);
    return ctc_request(fd, &m);
}

/// Copies a string attribute into `out` (`capacity` bytes), always terminated.
static void ctc_copy_string(struct rtattr *attribute, char *out, size_t capacity) {
    size_t length = RTA_PAYLOAD(attribute);
    if (length >= capacity) length = capacity - 1;
    memcpy(out, RTA_DATA(attribute), length);
    out[length] = 0;
}

/// Reads a link message's index, kind, alias and 64-bit transmit failures.
static int ctc_parse_link(struct nlmsghdr *header, char *kind, char *alias, struct rtnl_link_stats64 *counters) {
    struct ifinfomsg *info = NLMSG_DATA(header);
    if (kind) kind[0] = 0;
    if (alias) alias[0] = 0;
    int remaining = (int)IFLA_PAYLOAD(header);
    for (struct rtattr *attribute = IFLA_RTA(info); RTA_OK(attribute, remaining); attribute = RTA_NEXT(attribute, remaining)) {
        if (attribute->rta_type == IFLA_IFALIAS && alias) ctc_copy_string(attribute, alias, 128);
        if (attribute->rta_type == IFLA_STATS64 && counters && RTA_PAYLOAD(attribute) >= sizeof(struct rtnl_link_stats64)) {
            memcpy(counters, RTA_DATA(attribute), sizeof *counters);
        }
        if (attribute->rta_type == IFLA_LINKINFO && kind) {
            int nested = (int)RTA_PAYLOAD(attribute);
            for (struct rtattr *inner = RTA_DATA(attribute); RTA_OK(inner, nested); inner = RTA_NEXT(inner, nested)) {
                if (inner->rta_type == IFLA_INFO_KIND) ctc_copy_string(inner, kind, 32);
            }
        }
    }
    return info->ifi_index;
}

/// Asks for one link by name or index; `type` (or NULL) receives its hardware type (ARPHRD_*).
static int ctc_get_link(int fd, const char *name, int ifindex, char *kind, char *alias, struct rtnl_link_stats64 *counters,
                        unsigned short *type) {
    struct ctc_message m;
    ctc_begin_link(&m, RTM_GETLINK, 0, ifindex);
    if (name) {
        if (strlen(name) >= IFNAMSIZ) {
            errno = ENODEV;
            return -1;
        }
        ctc_put_string(&m, IFLA_IFNAME, name);
    }
    static char answer[32768];
    if (ctc_transact(fd, &m, answer, sizeof answer) < 0) return -1;
    struct nlmsghdr *header = (struct nlmsghdr *)answer;
    if (header->nlmsg_type != RTM_NEWLINK) {
        errno = EPROTO;
        return -1;
    }
    if (type) *type = ((struct ifinfomsg *)NLMSG_DATA(header))->ifi_type;
    return ctc_parse_link(header, kind, alias, counters);
}

int ctc_link_find(int fd, const char *name, char *kind, char *alias) {
    CTC_LOCKED;
    return ctc_get_link(fd, name, 0, kind, alias, NULL, NULL);
}

int ctc_link_type(int fd, int ifindex) {
    CTC_LOCKED;
    unsigned short type = 0;
    return ctc_get_link(fd, NULL, ifindex, NULL, NULL, NULL, &type) < 0 ? -1 : type;
}

int ctc_link_tx_failures(int fd, int ifindex, uint64_t *out) {
    CTC_LOCKED;
    struct rtnl_link_stats64 counters = {0};
    int status = ctc_get_link(fd, NULL, ifindex, NULL, NULL, &counters, NULL) < 0 ? -1 : 0;
    *out = counters.tx_dropped + counters.tx_errors;
    return status;
}

int ctc_link_delete(int fd, int ifindex) {
    CTC_LOCKED;
    struct ctc_message m;
    ctc_begin_link(&m, RTM_DELLINK, 0, ifindex);
    return ctc_request(fd, &m);
}

// MARK: Qdisc and filters

static struct tcmsg *ctc_begin_tc(struct ctc_message *m, uint16_t type, uint16_t flags, int ifindex) {
    struct tcmsg *tc = ctc_begin(m, type, flags, sizeof(struct tcmsg));
    tc->tcm_family = AF_UNSPEC;
    tc->tcm_ifindex = ifindex;
    return tc;
}

static uint32_t ctc_hook(int egress) {
    return TC_H_MAKE(TC_H_CLSACT, egress ? TC_H_MIN_EGRESS : TC_H_MIN_INGRESS);
}

int ctc_clsact_add(int fd, int ifindex) {
    CTC_LOCKED;
    struct ctc_message m;
    struct tcmsg *tc = ctc_begin_tc(&m, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex);
    tc->tcm_parent = TC_H_CLSACT;
    tc->tcm_handle = TC_H_MAKE(TC_H_CLSACT, 0);
    ctc_put_string(&m, TCA_KIND, "clsact");
    if (ctc_request(fd, &m) == 0) return 1;
    return errno == EEXIST ? 0 : -1;
}

int ctc_clsact_delete(int fd, int ifindex) {
    CTC_LOCKED;
    struct ctc_message m;
    struct tcmsg *tc = ctc_begin_tc(&m, RTM_DELQDISC, 0, ifindex);
    tc->tcm_parent = TC_H_CLSACT;
    tc->tcm_handle = TC_H_MAKE(TC_H_CLSACT, 0);
    ctc_put_string(&m, TCA_KIND, "clsact");
    return ctc_request(fd, &m);
}

/// The chain of a filter in a dump (TCA_CHAIN; 0 when absent).
static uint32_t ctc_filter_chain(struct nlmsghdr *header) {
    struct tcmsg *tc = NLMSG_DATA(header);
    int remaining = (int)(header->nlmsg_len - NLMSG_LENGTH(sizeof *tc));
    for (struct rtattr *attribute = (struct rtattr *)((char *)tc + NLMSG_ALIGN(sizeof *tc)); RTA_OK(attribute, remaining);
         attribute = RTA_NEXT(attribute, remaining)) {
        if (attribute->rta_type == TCA_CHAIN && RTA_PAYLOAD(attribute) >= sizeof(uint32_t)) {
            uint32_t chain;
            memcpy(&chain, RTA_DATA(attribute), sizeof chain);
            return chain;
        }
    }
    return 0;
}

/// What a walk over one hook's filters collects: filters on any chain but the mark's, and the priorities used on
/// chain 0 (where packets go, and the agent's filters; priorities are per chain).
struct ctc_filter_walk {
    int count;
    /// Priorities in use, as a bitmap of the first 4096.
    uint64_t used[64];
};

static int ctc_note_filter(struct nlmsghdr *header, void *context) {
    struct ctc_filter_walk *walk = context;
    if (header->nlmsg_type != RTM_NEWTFILTER) return 0;
    uint32_t chain = ctc_filter_chain(header);
    if (chain == CTC_MARK_CHAIN) return 0;
    struct tcmsg *tc = NLMSG_DATA(header);
    uint32_t priority = TC_H_MAJ(tc->tcm_info) >> 16;
    if (chain == 0 && priority < 4096) walk->used[priority / 64] |= 1ULL << (priority % 64);
    // The dump lists each classifier instance once with handle 0, then its filters.
    if (tc->tcm_handle != 0) walk->count++;
    return 0;
}

static int ctc_walk_hook(int fd, int ifindex, int egress, struct ctc_filter_walk *walk) {
    memset(walk, 0, sizeof *walk);
    struct ctc_message m;
    struct tcmsg *tc = ctc_begin_tc(&m, RTM_GETTFILTER, 0, ifindex);
    tc->tcm_parent = ctc_hook(egress);
    return ctc_dump(fd, &m, ctc_note_filter, walk);
}

int ctc_filter_count(int fd, int ifindex, int egress) {
    CTC_LOCKED;
    struct ctc_filter_walk walk;
    if (ctc_walk_hook(fd, ifindex, egress, &walk) < 0) return errno == EINVAL || errno == ENOENT ? 0 : -1;
    return walk.count;
}

int ctc_free_priority(int fd, int ifindex, int egress, uint16_t *priority) {
    CTC_LOCKED;
    struct ctc_filter_walk walk;
    if (ctc_walk_hook(fd, ifindex, egress, &walk) < 0) return -1;
    for (uint16_t candidate = 1; candidate < 4096; candidate++) {
        if (!(walk.used[candidate / 64] & (1ULL << (candidate % 64)))) {
            *priority = candidate;
            return 0;
        }
    }
    errno = ENOSPC;
    return -1;
}

/// Starts a request of `type` about the `cls_bpf` filter at `priority` with `handle` on `ifindex`'s hook.
static void ctc_begin_filter(struct ctc_message *m, uint16_t type, uint16_t flags, int ifindex, int egress, uint16_t priority,
                             uint32_t handle) {
    struct tcmsg *tc = ctc_begin_tc(m, type, flags, ifindex);
    tc->tcm_parent = ctc_hook(egress);
    tc->tcm_handle = handle;
    tc->tcm_info = TC_H_MAKE((uint32_t)priority << 16, htons(ETH_P_ALL));
    ctc_put_string(m, TCA_KIND, "bpf");
}

/// Appends one action (`order` in the chain) of `kind` carrying `cookie`; its options are written by the caller
/// between ``ctc_action_begin`` and ``ctc_action_end``.
static struct rtattr *ctc_action_begin(struct ctc_message *m, uint16_t order, const char *kind, struct rtattr **options) {
    struct rtattr *action = ctc_nest(m, order);
    ctc_put_string(m, TCA_ACT_KIND, kind);
    *options = ctc_nest(m, TCA_ACT_OPTIONS);
    return action;
}

static void ctc_action_end(struct ctc_message *m, struct rtattr *action, struct rtattr *options, const uint8_t *cookie) {
    ctc_nest_end(m, options);
    if (cookie) ctc_put(m, TCA_ACT_COOKIE, cookie, 16);
    ctc_nest_end(m, action);
}

int ctc_mirror_filter_add(int fd, int ifindex, int egress, uint16_t priority, const struct sock_filter *ops,
                          uint16_t count, const struct ctc_mirror_actions *actions) {
    CTC_LOCKED;
    struct ctc_message m;
    ctc_begin_filter(&m, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, ifindex, egress, priority, actions->handle ? actions->handle : 1);
    struct rtattr *options = ctc_nest(&m, TCA_OPTIONS);
    ctc_put(&m, TCA_BPF_OPS_LEN, &count, sizeof count);
    ctc_put(&m, TCA_BPF_OPS, ops, (size_t)count * sizeof *ops);
    struct rtattr *list = ctc_nest(&m, TCA_BPF_ACT);
    uint16_t order = 1;
    if (actions->police_rate || actions->police_index) {
        struct rtattr *police_options;
        struct rtattr *police = ctc_action_begin(&m, order++, "police", &police_options);
        struct tc_police parameters;
        memset(&parameters, 0, sizeof parameters);
        parameters.index = actions->police_index;
        // Over the rate: the copy is dropped. (Ending the chain with classification going on would hand it
        // to the host's stack on the veth it arrived by.)
        parameters.action = TC_ACT_SHOT;
        uint64_t rate = actions->police_rate ? actions->police_rate : 1;
        parameters.rate.rate = rate >= UINT32_MAX ? UINT32_MAX : (uint32_t)rate;
        // The kernel takes the rate from the ratespec (and RATE64) but insists on a rate table: any cell_log.
        parameters.rate.cell_log = 3;
        parameters.rate.linklayer = TC_LINKLAYER_ETHERNET;
        // The burst is in scheduler ticks of 64 ns.
        uint64_t burst_ns = (uint64_t)actions->police_burst * 1000000000ULL / rate;
        parameters.burst = (uint32_t)((burst_ns >> 6) > UINT32_MAX ? UINT32_MAX : (burst_ns >> 6));
        // No packet is over the limit by its size alone (segmentation offload hands the hook 64 kB packets).
        parameters.mtu = UINT32_MAX;
        ctc_put(&m, TCA_POLICE_TBF, &parameters, sizeof parameters);
        static const uint32_t table[256];
        ctc_put(&m, TCA_POLICE_RATE, table, sizeof table);
        if (rate >= UINT32_MAX) ctc_put(&m, TCA_POLICE_RATE64, &rate, sizeof rate);
        ctc_put_u32(&m, TCA_POLICE_RESULT, TC_ACT_PIPE);
        ctc_action_end(&m, police, police_options, actions->cookie);
    }
    struct rtattr *mirred_options;
    struct rtattr *mirred = ctc_action_begin(&m, order, "mirred", &mirred_options);
    struct tc_mirred parameters;
    memset(&parameters, 0, sizeof parameters);
    parameters.eaction = actions->mirror ? TCA_EGRESS_MIRROR : TCA_EGRESS_REDIR;
    parameters.action = actions->mirror ? TC_ACT_UNSPEC : TC_ACT_STOLEN;
    parameters.ifindex = (uint32_t)actions->target_ifindex;
    ctc_put(&m, TCA_MIRRED_PARMS, &parameters, sizeof parameters);
    ctc_action_end(&m, mirred, mirred_options, actions->cookie);
    ctc_nest_end(&m, list);
    ctc_nest_end(&m, options);
    return ctc_request(fd, &m);
}

int ctc_drop_filter_add(int fd, int ifindex, int egress, uint16_t priority) {
    CTC_LOCKED;
    struct ctc_message m;
    ctc_begin_filter(&m, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, ifindex, egress, priority, 1);
    struct rtattr *options = ctc_nest(&m, TCA_OPTIONS);
    // In direct-action mode the program's result is the verdict: no action module (act_gact) is needed.
    struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, TC_ACT_SHOT);
    uint16_t count = 1;
    ctc_put(&m, TCA_BPF_OPS_LEN, &count, sizeof count);
    ctc_put(&m, TCA_BPF_OPS, &drop, sizeof drop);
    ctc_put_u32(&m, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
    ctc_nest_end(&m, options);
    return ctc_request(fd, &m);
}

int ctc_filter_delete(int fd, int ifindex, int egress, uint16_t priority, uint32_t handle) {
    CTC_LOCKED;
    struct ctc_message m;
    ctc_begin_filter(&m, RTM_DELTFILTER, 0, ifindex, egress, priority, handle);
    return ctc_request(fd, &m);
}

/// Reads TCA_ACT_STATS into packets, bytes, drops and overlimits.
static void ctc_parse_action_stats(struct rtattr *stats, uint64_t *packets, uint64_t *bytes, uint64_t *drops, uint64_t *overlimits) {
    int remaining = (int)RTA_PAYLOAD(stats);
    uint64_t packets64 = 0;
    int has64 = 0;
    for (struct rtattr *item = RTA_DATA(stats); RTA_OK(item, remaining); item = RTA_NEXT(item, remaining)) {
        if (item->rta_type == TCA_STATS_BASIC && RTA_PAYLOAD(item) >= sizeof(struct gnet_stats_basic)) {
            struct gnet_stats_basic basic;
            memcpy(&basic, RTA_DATA(item), sizeof basic);
            *bytes = basic.bytes;
            *packets = basic.packets;
        } else if (item->rta_type == TCA_STATS_PKT64 && RTA_PAYLOAD(item) >= sizeof(uint64_t)) {
            memcpy(&packets64, RTA_DATA(item), sizeof packets64);
            has64 = 1;
        } else if (item->rta_type == TCA_STATS_QUEUE && RTA_PAYLOAD(item) >= sizeof(struct gnet_stats_queue)) {
            struct gnet_stats_queue queue;
            memcpy(&queue, RTA_DATA(item), sizeof queue);
            *drops = queue.drops;
            *overlimits = queue.overlimits;
        }
    }
    if (has64) *packets = packets64;
}

/// Calls `each` for every action of a cls_bpf filter message, with its kind, options, stats and cookie
/// (each NULL when absent).
static void ctc_each_action(struct nlmsghdr *header,
                            void (*each)(const char *kind, struct rtattr *options, struct rtattr *stats,
                                         struct rtattr *cookie, void *context),
                            void *context) {
    struct tcmsg *tc = NLMSG_DATA(header);
    int remaining = (int)(header->nlmsg_len - NLMSG_LENGTH(sizeof *tc));
    for (struct rtattr *attribute = (struct rtattr *)((char *)tc + NLMSG_ALIGN(sizeof *tc)); RTA_OK(attribute, remaining);
         attribute = RTA_NEXT(attribute, remaining)) {
        if (attribute->rta_type != TCA_OPTIONS) continue;
        int in_options = (int)RTA_PAYLOAD(attribute);
        for (struct rtattr *option = RTA_DATA(attribute); RTA_OK(option, in_options); option = RTA_NEXT(option, in_options)) {
            if ((option->rta_type & NLA_TYPE_MASK) != TCA_BPF_ACT) continue;
            int in_list = (int)RTA_PAYLOAD(option);
            for (struct rtattr *action = RTA_DATA(option); RTA_OK(action, in_list); action = RTA_NEXT(action, in_list)) {
                char kind[16] = {0};
                struct rtattr *options = NULL, *stats = NULL, *cookie = NULL;
                int in_action = (int)RTA_PAYLOAD(action);
                for (struct rtattr *part = RTA_DATA(action); RTA_OK(part, in_action); part = RTA_NEXT(part, in_action)) {
                    switch (part->rta_type & NLA_TYPE_MASK) {
                    case TCA_ACT_KIND: ctc_copy_string(part, kind, sizeof kind); break;
                    case TCA_ACT_OPTIONS: options = part; break;
                    case TCA_ACT_STATS: stats = part; break;
                    case TCA_ACT_COOKIE: cookie = part; break;
                    default: break;
                    }
                }
                each(kind, options, stats, cookie, context);
            }
        }
    }
}

static void ctc_collect_stats(const char *kind, struct rtattr *options, struct rtattr *stats, struct rtattr *cookie, void *context) {
    struct ctc_mirror_stats *out = context;
    if (strcmp(kind, "police") == 0) {
        // A packet over the rate is counted as over the limit and, since its verdict is to drop, as dropped too:
        // it is one packet.
        uint64_t dropped = 0;
        if (stats) ctc_parse_action_stats(stats, &out->police_packets, &out->police_bytes, &dropped, &out->police_exceeded);
        if (options) {
            int remaining = (int)RTA_PAYLOAD(options);
            for (struct rtattr *item = RTA_DATA(options); RTA_OK(item, remaining); item = RTA_NEXT(item, remaining)) {
                if (item->rta_type == TCA_POLICE_TBF && RTA_PAYLOAD(item) >= sizeof(struct tc_police)) {
                    struct tc_police parameters;
                    memcpy(&parameters, RTA_DATA(item), sizeof parameters);
                    out->police_index = parameters.index;
                }
            }
        }
    } else if (strcmp(kind, "mirred") == 0) {
        uint64_t drops = 0, overlimits = 0;
        if (stats) ctc_parse_action_stats(stats, &out->mirred_packets, &out->mirred_bytes, &drops, &overlimits);
        out->mirred_failures = drops + overlimits;
        if (cookie && RTA_PAYLOAD(cookie) >= 16) memcpy(out->cookie, RTA_DATA(cookie), 16);
    }
}

int ctc_mirror_filter_stats(int fd, int ifindex, int egress, uint16_t priority, uint32_t handle, struct ctc_mirror_stats *out) {
    CTC_LOCKED;
    memset(out, 0, sizeof *out);
    struct ctc_message m;
    ctc_begin_filter(&m, RTM_GETTFILTER, 0, ifindex, egress, priority, handle);
    static char answer[32768];
    if (ctc_transact(fd, &m, answer, sizeof answer) < 0) return -1;
    struct nlmsghdr *header = (struct nlmsghdr *)answer;
    if (header->nlmsg_type != RTM_NEWTFILTER) {
        errno = EPROTO;
        return -1;
    }
    ctc_each_action(header, ctc_collect_stats, out);
    return 0;
}

/// Whether any action of a filter in a dump carries a cookie starting with the `length` bytes of `prefix`.
struct ctc_cookie_match {
    const uint8_t *prefix;
    int length;
    int found;
};

static void ctc_match_cookie(const char *kind, struct rtattr *options, struct rtattr *stats, struct rtattr *cookie, void *context) {
    (void)kind;
    (void)options;
    (void)stats;
    struct ctc_cookie_match *match = context;
    if (cookie && (int)RTA_PAYLOAD(cookie) >= match->length && memcmp(RTA_DATA(cookie), match->prefix, (size_t)match->length) == 0) {
        match->found = 1;
    }
}

static int ctc_filter_has_cookie(struct nlmsghdr *header, const uint8_t *prefix, int length) {
    struct ctc_cookie_match match = {.prefix = prefix, .length = length};
    ctc_each_action(header, ctc_match_cookie, &match);
    return match.found;
}

// MARK: The qdisc's owner

static int ctc_dump_consistent(int fd, struct ctc_message *m, int (*each)(struct nlmsghdr *, void *), void *context,
                               void (*reset)(void *), void *reset_context);

/// Builds the request that adds the mark of ``ctc_clsact_add_marked`` on `ifindex`'s ingress hook.
static void ctc_build_mark(struct ctc_message *m, int ifindex, const uint8_t *cookie) {
    ctc_begin_filter(m, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, ifindex, 0, 1, 1);
    ctc_put_u32(m, TCA_CHAIN, CTC_MARK_CHAIN);
    struct rtattr *options = ctc_nest(m, TCA_OPTIONS);
    // Matches nothing: even a jump to this chain would run no action. The action is only there for its cookie
    // (actions carry cookies, filters do not); mirred is the one action module the mirrors need anyway.
    struct sock_filter nothing = BPF_STMT(BPF_RET | BPF_K, 0);
    uint16_t count = 1;
    ctc_put(m, TCA_BPF_OPS_LEN, &count, sizeof count);
    ctc_put(m, TCA_BPF_OPS, &nothing, sizeof nothing);
    struct rtattr *list = ctc_nest(m, TCA_BPF_ACT);
    struct rtattr *mirred_options;
    struct rtattr *mirred = ctc_action_begin(m, 1, "mirred", &mirred_options);
    struct tc_mirred parameters;
    memset(&parameters, 0, sizeof parameters);
    parameters.eaction = TCA_EGRESS_MIRROR;
    parameters.action = TC_ACT_PIPE;
    parameters.ifindex = (uint32_t)ifindex;
    ctc_put(m, TCA_MIRRED_PARMS, &parameters, sizeof parameters);
    ctc_action_end(m, mirred, mirred_options, cookie);
    ctc_nest_end(m, list);
    ctc_nest_end(m, options);
}

/// Deletes the mark of `ifindex`'s qdisc (whichever agent's: every agent's sits at the same place).
static int ctc_mark_delete(int fd, int ifindex) {
    struct ctc_message m;
    ctc_begin_filter(&m, RTM_DELTFILTER, 0, ifindex, 0, 1, 1);
    ctc_put_u32(&m, TCA_CHAIN, CTC_MARK_CHAIN);
    return ctc_request(fd, &m);
}

/// Whether `ifindex` has a `clsact` qdisc (1), an `ingress` one (2) or neither (0); -1 with errno when the kernel could
/// not say. `drops`, when given, receives the packets its hooks dropped: every TC_ACT_SHOT verdict, which the kernel
/// counts on the qdisc after the filter (and its actions) gave it (0 when there is none).
/// (The kernel also sends its answer to `tc monitor`'s listeners, as it does for every qdisc asked for.)
static int ctc_clsact_get(int fd, int ifindex, uint64_t *drops) {
    if (drops) *drops = 0;
    struct ctc_message m;
    // NLM_F_ECHO: kernels that answer a qdisc's get as a notification send it to the asker only when asked to.
    struct tcmsg *tc = ctc_begin_tc(&m, RTM_GETQDISC, NLM_F_ECHO, ifindex);
    tc->tcm_parent = TC_H_CLSACT;
    tc->tcm_handle = TC_H_MAKE(TC_H_CLSACT, 0);
    char answer[4096];
    ssize_t length = ctc_transact(fd, &m, answer, sizeof answer);
    // ENOENT: the device never had one; EINVAL: it had one, gone (the kernel's placeholder has another handle).
    if (length < 0) return errno == ENOENT || errno == EINVAL ? 0 : -1;
    struct nlmsghdr *header = (struct nlmsghdr *)answer;
    if (header->nlmsg_type != RTM_NEWQDISC) return 0;
    // Only a real one counts (not a placeholder the kernel might answer with).
    int remaining = (int)(header->nlmsg_len - NLMSG_LENGTH(sizeof *tc));
    struct tcmsg *found = NLMSG_DATA(header);
    int kind = 0;
    for (struct rtattr *attribute = (struct rtattr *)((char *)found + NLMSG_ALIGN(sizeof *found)); RTA_OK(attribute, remaining);
         attribute = RTA_NEXT(attribute, remaining)) {
        if (attribute->rta_type == TCA_KIND) {
            const char *name = RTA_DATA(attribute);
            if (RTA_PAYLOAD(attribute) == sizeof "clsact" && memcmp(name, "clsact", sizeof "clsact") == 0) kind = 1;
            if (RTA_PAYLOAD(attribute) == sizeof "ingress" && memcmp(name, "ingress", sizeof "ingress") == 0) kind = 2;
        } else if (attribute->rta_type == TCA_STATS2 && drops) {
            uint64_t packets = 0, bytes = 0, overlimits = 0;
            ctc_parse_action_stats(attribute, &packets, &bytes, drops, &overlimits);
        }
    }
    if (kind == 0 && drops) *drops = 0;
    return kind;
}

static int ctc_clsact_present(int fd, int ifindex) { return ctc_clsact_get(fd, ifindex, NULL); }

int ctc_clsact_drops(int fd, int ifindex, uint64_t *drops) {
    CTC_LOCKED;
    int kind = ctc_clsact_get(fd, ifindex, drops);
    if (kind == 1) return 0;
    if (kind >= 0) errno = ENOENT;
    return -1;
}

int ctc_clsact_add_marked(int fd, int ifindex, const uint8_t *cookie) {
    CTC_LOCKED;
    int present = ctc_clsact_present(fd, ifindex);
    if (present == 2) {
        // An `ingress` qdisc has no egress hook: a filter meant for it would land on the ingress block.
        errno = EOPNOTSUPP;
        return -3;
    }
    if (present != 0) return present > 0 ? 0 : -1;
    // Both requests in one datagram: rtnetlink carries out every message of a datagram before `sendto` returns,
    // so no signal (a kill included) can come between the qdisc and its mark — once the modules the mark needs
    // (cls_bpf, act_mirred) are in the kernel: loading one is a wait a kill can cut short. The agent's own devices
    // (``ctc_drop_filter_add``, ``ctc_mirror_filter_add`` on its veths) load them before any workload's qdisc.
    static struct ctc_message qdisc, mark;
    static char both[2 * sizeof qdisc.bytes];
    struct tcmsg *tc = ctc_begin_tc(&qdisc, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, ifindex);
    tc->tcm_parent = TC_H_CLSACT;
    tc->tcm_handle = TC_H_MAKE(TC_H_CLSACT, 0);
    ctc_put_string(&qdisc, TCA_KIND, "clsact");
    ctc_build_mark(&mark, ifindex, cookie);
    if (qdisc.overflowed || mark.overflowed) {
        errno = EMSGSIZE;
        return -1;
    }
    mark.header.nlmsg_flags |= NLM_F_ACK;
    qdisc.header.nlmsg_seq = ctc_sequence();
    mark.header.nlmsg_seq = ctc_sequence();
    size_t first = NLMSG_ALIGN(qdisc.header.nlmsg_len);
    memcpy(both, qdisc.bytes, qdisc.header.nlmsg_len);
    memset(both + qdisc.header.nlmsg_len, 0, first - qdisc.header.nlmsg_len);
    memcpy(both + first, mark.bytes, mark.header.nlmsg_len);
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    ssize_t sent;
    do {
        sent = sendto(fd, both, first + mark.header.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) return -1;
    // Each request's acknowledgement: 0, or the kernel's error number; -1 while unanswered. (When they cannot be
    // read, what the kernel did is unknown: the error says so by its ETIMEDOUT, and the next start's sweep sees a mark.)
    int added = -1, marked = -1;
    static char answer[4096];
    while (added < 0 || marked < 0) {
        ssize_t length = ctc_receive(fd, answer, sizeof answer);
        if (length < 0) return -1;
        for (struct nlmsghdr *header = (struct nlmsghdr *)answer; NLMSG_OK(header, (size_t)length);
             header = NLMSG_NEXT(header, length)) {
            if (header->nlmsg_type != NLMSG_ERROR) continue;
            int error = -((struct nlmsgerr *)NLMSG_DATA(header))->error;
            if (header->nlmsg_seq == qdisc.header.nlmsg_seq) added = error;
            if (header->nlmsg_seq == mark.header.nlmsg_seq) marked = error;
        }
    }
    if (added != 0) {
        // Not the agent's qdisc (someone added one since it was looked for, or none could be added and someone's came):
        // a mark that went on goes again. (A kill in between leaves it there; a window of microseconds in a race.)
        if (marked == 0 && ctc_mark_delete(fd, ifindex) < 0 && errno != ENOENT && errno != ENODEV && errno != EINVAL
            && ctc_mark_delete(fd, ifindex) < 0 && errno != ENOENT && errno != ENODEV && errno != EINVAL) {
            // Twice refused: left there, the mark would make the agent take that qdisc for its own. The mirror fails
            // instead (with the delete's errno), and the next start's sweep leaves the qdisc if someone's filter hangs on it.
            return -1;
        }
        // The one that came in between may be an `ingress` qdisc, with no egress hook.
        int present = ctc_clsact_present(fd, ifindex);
        if (present == 2) {
            errno = EOPNOTSUPP;
            return -3;
        }
        if (added == EEXIST && present == 1) return 0;
        errno = present < 0 ? errno : added;
        return -1;
    }
    if (marked != 0) {
        // Unmarked, no later release would know it is the agent's: it goes now — unless someone put a filter on it
        // in the meantime.
        if (ctc_filter_count(fd, ifindex, 0) == 0 && ctc_filter_count(fd, ifindex, 1) == 0) ctc_clsact_delete(fd, ifindex);
        errno = marked;
        return -2;
    }
    return 1;
}

/// The first bytes of every cookie any agent sets (``KernelMirrorOwner.cookieMagic``): how a census tells another
/// agent's filters and marks (an agent of another name on the host) from everyone else's.
static const uint8_t ctc_agent_magic[8] = {'t', 'a', 'p', 's', 't', 'e', 'r', '1'};

/// What a census of both hooks counts.
struct ctc_census {
    const uint8_t *prefix;
    int prefix_length;
    /// Filters on chain 0 or a jump's chain: with the prefix; another agent's; anyone else's.
    int ours;
    int agents;
    int others;
    /// Marks: with the prefix (one, normally); another agent's; anyone else's on that chain.
    int marked;
    int agent_marks;
    int foreign_marks;
};

static int ctc_census_filter(struct nlmsghdr *header, void *context) {
    struct ctc_census *census = context;
    if (header->nlmsg_type != RTM_NEWTFILTER) return 0;
    struct tcmsg *tc = NLMSG_DATA(header);
    // The dump lists each classifier instance once with handle 0, then its filters.
    if (tc->tcm_handle == 0) return 0;
    int ours = ctc_filter_has_cookie(header, census->prefix, census->prefix_length);
    int agents = !ours && ctc_filter_has_cookie(header, ctc_agent_magic, (int)sizeof ctc_agent_magic);
    if (ctc_filter_chain(header) == CTC_MARK_CHAIN) {
        if (ours) census->marked++; else if (agents) census->agent_marks++; else census->foreign_marks++;
    } else {
        if (ours) census->ours++; else if (agents) census->agents++; else census->others++;
    }
    return 0;
}

static void ctc_census_forget(void *context) {
    struct ctc_census *census = context;
    census->ours = census->agents = census->others = census->marked = census->agent_marks = census->foreign_marks = 0;
}

/// Counts what hangs on both of `ifindex`'s hooks into `census` (whose prefix is set). Fails with errno
/// EINVAL or ENOENT when the interface has no clsact, ENODEV when it is gone.
static int ctc_census_take(int fd, int ifindex, struct ctc_census *census) {
    struct ctc_census total = *census;
    for (int egress = 0; egress <= 1; egress++) {
        // A hook is counted afresh when the kernel reports its dump inconsistent.
        struct ctc_census hook = *census;
        ctc_census_forget(&hook);
        struct ctc_message m;
        struct tcmsg *tc = ctc_begin_tc(&m, RTM_GETTFILTER, 0, ifindex);
        tc->tcm_parent = ctc_hook(egress);
        if (ctc_dump_consistent(fd, &m, ctc_census_filter, &hook, ctc_census_forget, &hook) < 0) return -1;
        total.ours += hook.ours;
        total.agents += hook.agents;
        total.others += hook.others;
        total.marked += hook.marked;
        total.agent_marks += hook.agent_marks;
        total.foreign_marks += hook.foreign_marks;
    }
    *census = total;
    return 0;
}

/// ``ctc_qdisc_release`` with the lock held.
static int ctc_release_locked(int fd, int ifindex, const uint8_t *prefix, int prefix_length) {
    struct ctc_census census = {.prefix = prefix, .prefix_length = prefix_length};
    if (ctc_census_take(fd, ifindex, &census) < 0) {
        // No clsact (answered by some kernels with an error, by others with an empty dump): nothing to release.
        // The interface gone: its qdisc went with it.
        return errno == EINVAL || errno == ENOENT || errno == ENODEV ? 0 : -1;
    }
    // The agent's filters still hang on it, or another agent's do: the last agent to leave decides, mark and all.
    if (census.ours > 0 || census.agents > 0) return 0;
    // No agent's mark: the qdisc was there before any agent.
    if (census.marked == 0 && census.agent_marks == 0) return 0;
    if (census.others == 0 && census.foreign_marks == 0) {
        // An agent added it (this one, or one of another name on the host that left it to this one) and no one uses it.
        if (ctc_clsact_delete(fd, ifindex) == 0) return 1;
        return errno == EINVAL || errno == ENOENT || errno == ENODEV ? 0 : -1;
    }
    // Someone else's filters hang on it now: the qdisc is left to them, without the agents' mark (every agent's sits at
    // the same place: whichever agent added the qdisc).
    if (ctc_mark_delete(fd, ifindex) == 0) return 1;
    return errno == ENOENT || errno == ENODEV ? 0 : -1;
}

int ctc_qdisc_release(int fd, int ifindex, const uint8_t *prefix, int prefix_length) {
    CTC_LOCKED;
    return ctc_release_locked(fd, ifindex, prefix, prefix_length);
}

// MARK: Sweep

/// One of the agent's filters found by a sweep.
struct ctc_sweep_filter_entry {
    int ifindex;
    int egress;
    uint16_t priority;
    uint32_t handle;
    uint16_t protocol;
    uint32_t chain;
    /// The qdisc's mark (``ctc_clsact_add_marked``): not deleted by itself but released with the qdisc.
    int mark;
};

/// What a sweep deletes: filters found during a dump are deleted after it (a dump cannot be interleaved
/// with requests on the same socket). The lists grow as needed: a host may have thousands of interfaces,
/// and a sweep that stopped at a fixed count would leave the rest mirroring.
struct ctc_sweep_state {
    const uint8_t *magic;
    int magic_length;
    const char *alias_prefix;
    struct ctc_sweep_filter_entry *filters;
    int count;
    int filter_capacity;
    int *links;
    int link_count;
    int link_capacity;
    int *ifindexes;
    int ifindex_count;
    int ifindex_capacity;
    /// Set when a list could not grow: the sweep fails (ENOMEM) rather than delete part of what it found.
    int out_of_memory;
};

/// Makes room in `*array` (of `*capacity` elements of `size` bytes) for `needed` elements; -1 when memory is short.
static int ctc_reserve(void **array, int *capacity, int needed, size_t size) {
    if (needed <= *capacity) return 0;
    int next = *capacity ? *capacity * 2 : 64;
    while (next < needed) next *= 2;
    void *grown = realloc(*array, (size_t)next * size);
    if (!grown) return -1;
    *array = grown;
    *capacity = next;
    return 0;
}

static int ctc_sweep_filter(struct nlmsghdr *header, void *context) {
    struct ctc_sweep_state *state = context;
    if (header->nlmsg_type != RTM_NEWTFILTER) return 0;
    struct tcmsg *tc = NLMSG_DATA(header);
    if (tc->tcm_handle == 0) return 0;
    if (!ctc_filter_has_cookie(header, state->magic, state->magic_length)) return 0;
    if (ctc_reserve((void **)&state->filters, &state->filter_capacity, state->count + 1, sizeof *state->filters) < 0) {
        state->out_of_memory = 1;
        return -1;
    }
    struct ctc_sweep_filter_entry *entry = &state->filters[state->count++];
    entry->ifindex = tc->tcm_ifindex;
    entry->egress = tc->tcm_parent == ctc_hook(1);
    entry->priority = (uint16_t)(TC_H_MAJ(tc->tcm_info) >> 16);
    entry->protocol = (uint16_t)TC_H_MIN(tc->tcm_info);
    entry->handle = tc->tcm_handle;
    entry->chain = ctc_filter_chain(header);
    entry->mark = entry->chain == CTC_MARK_CHAIN;
    return 0;
}

static int ctc_sweep_link(struct nlmsghdr *header, void *context) {
    struct ctc_sweep_state *state = context;
    if (header->nlmsg_type != RTM_NEWLINK) return 0;
    char kind[32], alias[128];
    int ifindex = ctc_parse_link(header, kind, alias, NULL);
    if (ctc_reserve((void **)&state->ifindexes, &state->ifindex_capacity, state->ifindex_count + 1, sizeof(int)) < 0) {
        state->out_of_memory = 1;
        return -1;
    }
    state->ifindexes[state->ifindex_count++] = ifindex;
    size_t prefix = strlen(state->alias_prefix);
    if (prefix && strncmp(alias, state->alias_prefix, prefix) == 0) {
        if (ctc_reserve((void **)&state->links, &state->link_capacity, state->link_count + 1, sizeof(int)) < 0) {
            state->out_of_memory = 1;
            return -1;
        }
        state->links[state->link_count++] = ifindex;
    }
    return 0;
}

/// ``ctc_dump`` again (a few times) while the kernel reports the dump inconsistent; `reset` clears what the
/// interrupted attempt collected.
static int ctc_dump_consistent(int fd, struct ctc_message *m, int (*each)(struct nlmsghdr *, void *), void *context,
                               void (*reset)(void *), void *reset_context) {
    // ctc_dump changes only the header's flags (idempotently) and sequence: the request can be sent again as it is.
    for (int attempt = 0;; attempt++) {
        int status = ctc_dump(fd, m, each, context);
        if (status == 0 || errno != EAGAIN || attempt == 4) return status;
        reset(reset_context);
    }
}

static void ctc_sweep_forget_links(void *context) {
    struct ctc_sweep_state *state = context;
    state->link_count = 0;
    state->ifindex_count = 0;
    state->out_of_memory = 0;
}

struct ctc_sweep_mark {
    struct ctc_sweep_state *state;
    int count;
};

static void ctc_sweep_forget_filters(void *context) {
    struct ctc_sweep_mark *mark = context;
    mark->state->count = mark->count;
    mark->state->out_of_memory = 0;
}

/// ``ctc_sweep`` with the lock held, on `state` (freed by the caller).
static int ctc_sweep_locked(int fd, struct ctc_sweep_state *state, int *unreadable) {
    struct ctc_message m;
    ctc_begin_link(&m, RTM_GETLINK, 0, 0);
    if (ctc_dump_consistent(fd, &m, ctc_sweep_link, state, ctc_sweep_forget_links, state) < 0) {
        if (state->out_of_memory) errno = ENOMEM;
        return -1;
    }
    for (int i = 0; i < state->ifindex_count; i++) {
        for (int egress = 0; egress <= 1; egress++) {
            struct tcmsg *tc = ctc_begin_tc(&m, RTM_GETTFILTER, 0, state->ifindexes[i]);
            tc->tcm_parent = ctc_hook(egress);
            struct ctc_sweep_mark mark = {.state = state, .count = state->count};
            if (ctc_dump_consistent(fd, &m, ctc_sweep_filter, state, ctc_sweep_forget_filters, &mark) < 0) {
                if (state->out_of_memory) {
                    errno = ENOMEM;
                    return -1;
                }
                // No interface any more (ENODEV), or a kernel that answers a hook without clsact with an error rather
                // than an empty dump (EINVAL, ENOENT): nothing of ours there.
                if (errno != EINVAL && errno != ENOENT && errno != ENODEV) (*unreadable)++;
            }
        }
    }
    int deleted = 0;
    for (int i = 0; i < state->count; i++) {
        if (state->filters[i].mark) continue;
        struct tcmsg *tc = ctc_begin_tc(&m, RTM_DELTFILTER, 0, state->filters[i].ifindex);
        tc->tcm_parent = ctc_hook(state->filters[i].egress);
        tc->tcm_handle = state->filters[i].handle;
        tc->tcm_info = TC_H_MAKE((uint32_t)state->filters[i].priority << 16, state->filters[i].protocol);
        ctc_put_string(&m, TCA_KIND, "bpf");
        // The chain it was found on: without it the kernel looks on chain 0, where someone else's may sit at that place.
        ctc_put_u32(&m, TCA_CHAIN, state->filters[i].chain);
        if (ctc_request(fd, &m) == 0) deleted++;
    }
    // The qdiscs the earlier run added go now that its filters have gone (unless someone else's hang on them).
    for (int i = 0; i < state->count; i++) {
        if (state->filters[i].mark && ctc_release_locked(fd, state->filters[i].ifindex, state->magic, state->magic_length) > 0) deleted++;
    }
    for (int i = 0; i < state->link_count; i++) {
        // Deleting one end of a veth deletes the other: a second end found here is already gone (ENODEV).
        if (ctc_link_delete(fd, state->links[i]) == 0) deleted++;
    }
    return deleted;
}

int ctc_sweep(int fd, const uint8_t *magic, int magic_length, const char *alias_prefix, int *unreadable) {
    CTC_LOCKED;
    struct ctc_sweep_state state;
    memset(&state, 0, sizeof state);
    state.magic = magic;
    state.magic_length = magic_length;
    state.alias_prefix = alias_prefix;
    *unreadable = 0;
    int deleted = ctc_sweep_locked(fd, &state, unreadable);
    int saved = errno;
    free(state.filters);
    free(state.links);
    free(state.ifindexes);
    errno = saved;
    return deleted;
}
