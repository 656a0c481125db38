#ifndef CTC_H
#define CTC_H
#include <stdint.h>
#include <linux/filter.h>

/// rtnetlink requests for the agent's in-kernel mirrors: VXLAN and veth devices, a `clsact` qdisc, and
/// `cls_bpf` filters running a classic BPF program with `police` and `mirred` actions — what
/// `ip link add … type vxlan|veth` and `tc filter add … bpf bytecode … action mirred …` do, without iproute2.
///
/// Every function takes a NETLINK_ROUTE socket from ``ctc_open``: the socket acts in the network namespace
/// it was opened in, whichever thread uses it later. Functions return 0 (or a count, or an index), or -1
/// with errno set from the kernel's answer (ETIMEDOUT when none came within 5 seconds, EMSGSIZE when a
/// request did not fit its buffer). They may be called from any thread: one lock serialises them.

/// Opens a NETLINK_ROUTE socket (close-on-exec) in the calling thread's network namespace.
int ctc_open(void);

/// Creates the VXLAN device `name`, down (see ``ctc_link_up``), with VNI `vni`, sending to `remote` (IPv4, network byte order) on UDP
/// port `port` (host byte order), without learning, MTU 65000. Returns its index. EEXIST when the name is taken.
int ctc_vxlan_add(int fd, const char *name, uint32_t vni, uint32_t remote, uint16_t port);

/// Creates the veth pair `name` (here) and `peer_name`, both down (for ``ctc_link_up`` where each lands), with
/// MTU 65535; the peer goes to the namespace open at `peer_netns_fd` (-1: stays here). Returns the index of `name`.
int ctc_veth_add(int fd, const char *name, const char *peer_name, int peer_netns_fd);

/// Brings the interface `ifindex` up.
int ctc_link_up(int fd, int ifindex);

/// Sets the interface's alias (IFLA_IFALIAS): how the agent recognises its devices after a restart.
int ctc_link_set_alias(int fd, int ifindex, const char *alias);

/// The index of the interface `name`; -1 with errno ENODEV when there is none. `kind` (32 bytes, or NULL)
/// receives IFLA_INFO_KIND and `alias` (128 bytes, or NULL) IFLA_IFALIAS, empty when absent.
int ctc_link_find(int fd, const char *name, char *kind, char *alias);

/// The hardware type (ARPHRD_*) of the interface `ifindex`: a mirror's program is compiled for Ethernet frames.
int ctc_link_type(int fd, int ifindex);

/// The transmit drops and errors of the interface `ifindex` (IFLA_STATS64), added together.
int ctc_link_tx_failures(int fd, int ifindex, uint64_t *out);

/// Deletes the interface with index `ifindex`.
int ctc_link_delete(int fd, int ifindex);

/// Adds a `clsact` qdisc to `ifindex`: returns 1 when added, 0 when the interface already had one.
int ctc_clsact_add(int fd, int ifindex);

/// The packets the hooks of `ifindex`'s `clsact` qdisc dropped: every TC_ACT_SHOT verdict (a filter's, or an action's
/// such as a police action over its rate or a mirred that could not send), which the kernel counts on the qdisc once
/// the filter and its actions have given it — so after the actions' own counts. ENOENT when there is no clsact.
/// (32 bits in the kernel's statistics.)
int ctc_clsact_drops(int fd, int ifindex, uint64_t *drops);

/// Deletes the `clsact` qdisc of `ifindex` (and with it every filter on its hooks).
int ctc_clsact_delete(int fd, int ifindex);

/// The chain on which ``ctc_clsact_add_marked`` marks a qdisc (`tc filter show` prints it as `chain 268435440`):
/// nothing jumps there, so no packet ever meets the mark. The kernel takes chains up to 2^28 - 1.
#define CTC_MARK_CHAIN 0x0FFFFFF0u

/// Adds a `clsact` qdisc to `ifindex` marked as added by the agent whose cookies start like `cookie` (16 bytes):
/// the mark is a filter on its ingress hook's ``CTC_MARK_CHAIN`` (priority 1, handle 1) that matches nothing, whose
/// action carries `cookie`. The mark lives with the qdisc, so an agent restarted after being killed still knows which
/// qdiscs it added — and never takes for its own one that was there before it. Qdisc and mark are added by one
/// datagram, which the kernel carries out whole before `sendto` returns: no kill leaves the qdisc unmarked (once
/// cls_bpf and act_mirred are loaded: the agent's own veths load them first).
/// Returns 1 when added and marked; 0 when the interface already had one (nothing is added); -1 with errno when
/// the qdisc could not be added; -2 with errno when it could not be marked (then it is deleted again, unless someone
/// put a filter on it meanwhile); -3 (errno EOPNOTSUPP) when the interface has an `ingress` qdisc, which has no
/// egress hook.
int ctc_clsact_add_marked(int fd, int ifindex, const uint8_t *cookie);

/// Applies the agent's rule for its qdisc on `ifindex` once its filters there may be gone: while any filter
/// whose action cookies start with the `prefix_length` bytes of `prefix` hangs on either hook — or another
/// agent's (of another name on the host: cookies starting `tapster1`; the last agent to leave decides) —
/// nothing; otherwise, when the qdisc carries an agent's mark (this one's, or one left by another agent that
/// went first), it is deleted if no one else's filter hangs on it, and only the mark is deleted if some do (the
/// qdisc is theirs from then on). A qdisc without an agent's mark was there before them and stays. Returns 1 when it
/// deleted the qdisc or the mark, 0 when nothing was to be done (including no qdisc, or no interface).
int ctc_qdisc_release(int fd, int ifindex, const uint8_t *prefix, int prefix_length);

/// How many filters (anyone's, on any chain but ``CTC_MARK_CHAIN``) hang on `ifindex`'s clsact hook (`egress` 0:
/// ingress, 1: egress).
int ctc_filter_count(int fd, int ifindex, int egress);

/// The smallest filter priority, from 1, that no filter on chain 0 of the hook uses.
int ctc_free_priority(int fd, int ifindex, int egress, uint16_t *priority);

/// What a mirror filter does with the packets its program matches.
struct ctc_mirror_actions {
    /// Packets go to the egress of this interface.
    int target_ifindex;
    /// 1: a copy goes and the packet itself goes on (mirred mirror, then "continue" to the next filter);
    /// 0: the packet itself goes (mirred redirect, stolen).
    int mirror;
    /// Bytes per second of a `police` action before the mirred one (0: none). Packets over it are dropped —
    /// only use it where the packet is a copy. `police_index` (when not 0) binds an existing police action.
    uint64_t police_rate;
    uint32_t police_burst;
    uint32_t police_index;
    /// 16 bytes carried by every action: how ``ctc_sweep`` recognises them.
    const uint8_t *cookie;
    /// The filter's handle (0: 1). A handle of the tap's own means a delete by priority and handle can only
    /// ever remove the tap's filter, even if someone replaced it at that priority.
    uint32_t handle;
};

/// Adds on `ifindex`'s clsact hook, at `priority` with `actions->handle`, a `cls_bpf` filter running the classic BPF
/// program `ops` (`count` instructions, for Ethernet frames) with `actions` on what it matches.
int ctc_mirror_filter_add(int fd, int ifindex, int egress, uint16_t priority, const struct sock_filter *ops,
                          uint16_t count, const struct ctc_mirror_actions *actions);

/// Adds on `ifindex`'s clsact hook, at `priority` with handle 1, a direct-action `cls_bpf` filter dropping every
/// packet that reaches it: how the mirror's own devices refuse what was not sent through them by the agent.
int ctc_drop_filter_add(int fd, int ifindex, int egress, uint16_t priority);

/// Deletes the filter at `priority` with `handle` on `ifindex`'s clsact hook.
int ctc_filter_delete(int fd, int ifindex, int egress, uint16_t priority, uint32_t handle);

/// The statistics of a mirror filter's actions.
struct ctc_mirror_stats {
    /// The police action's packets and bytes, and those over its rate; its index. Zero without one.
    uint64_t police_packets;
    uint64_t police_bytes;
    uint64_t police_exceeded;
    uint32_t police_index;
    /// The mirred action's packets and bytes, and those it could not send.
    uint64_t mirred_packets;
    uint64_t mirred_bytes;
    uint64_t mirred_failures;
    /// The cookie of the mirred action (to check the filter is still the agent's).
    uint8_t cookie[16];
};

/// Reads the statistics of the filter at `priority` with `handle` (ENOENT when it is gone).
int ctc_mirror_filter_stats(int fd, int ifindex, int egress, uint16_t priority, uint32_t handle, struct ctc_mirror_stats *out);

/// Deletes, on every interface of the socket's namespace, each cls_bpf filter of a clsact hook whose
/// actions carry a cookie starting with the `magic_length` bytes of `magic`, then releases each qdisc so
/// marked (``ctc_qdisc_release``), then deletes each interface whose alias starts with `alias_prefix`.
/// Returns how many filters, qdiscs (or marks) and interfaces it deleted; `unreadable` receives how many hooks
/// whose filters could not be read (other than for having no clsact), whose filters of the agent's stay.
int ctc_sweep(int fd, const uint8_t *magic, int magic_length, const char *alias_prefix, int *unreadable);

#endif
