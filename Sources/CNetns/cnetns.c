#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include "cnetns.h"

int cnetns_enter(int fd) { return setns(fd, CLONE_NEWNET); }

int cnetns_peer_credentials(int fd, pid_t *pid, uid_t *uid) {
    struct ucred credentials;
    socklen_t size = sizeof credentials;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &size) < 0) return -1;
    *pid = credentials.pid;
    *uid = credentials.uid;
    return 0;
}

int cnetns_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int cnetns_name_current_thread(const char *name) { return pthread_setname_np(pthread_self(), name); }

int cnetns_eventfd_signal(int fd) {
    uint64_t one = 1;
    for (;;) {
        ssize_t written = write(fd, &one, sizeof one);
        if (written == (ssize_t)sizeof one) return 0;
        if (written < 0 && errno == EINTR) continue;
        // EAGAIN: the counter is already at its maximum, so the fd is readable anyway.
        if (written < 0 && errno == EAGAIN) return 0;
        return -1;
    }
}

int cnetns_mirror_socket(int ip_protocol, int send_buffer_bytes) {
    int fd = ip_protocol == 0 ? socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP)
                              : socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, ip_protocol);
    if (fd < 0) return -1;
    int dont = IP_PMTUDISC_DONT;
    if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &dont, sizeof dont) < 0) goto fail;
    if (send_buffer_bytes > 0 &&
        setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &send_buffer_bytes, sizeof send_buffer_bytes) < 0 &&
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &send_buffer_bytes, sizeof send_buffer_bytes) < 0) goto fail;
    struct sock_filter drop_all[] = {{BPF_RET | BPF_K, 0, 0, 0}};
    struct sock_fprog program = {.len = 1, .filter = drop_all};
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) < 0) goto fail;
    return fd;
fail:;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

enum { CNETNS_CHUNK = 64 };

unsigned int cnetns_send_batch(int fd, const struct sockaddr *destination, socklen_t destination_length,
                               const unsigned char *arena, const uint32_t *offsets, const uint32_t *lengths,
                               unsigned int count, int *last_error) {
    struct mmsghdr messages[CNETNS_CHUNK];
    struct iovec vectors[CNETNS_CHUNK];
    unsigned int sent = 0;
    *last_error = 0;
    for (unsigned int base = 0; base < count; base += CNETNS_CHUNK) {
        unsigned int chunk = count - base < CNETNS_CHUNK ? count - base : CNETNS_CHUNK;
        memset(messages, 0, sizeof(struct mmsghdr) * chunk);
        for (unsigned int i = 0; i < chunk; i++) {
            vectors[i].iov_base = (void *)(arena + offsets[base + i]);
            vectors[i].iov_len = lengths[base + i];
            messages[i].msg_hdr.msg_name = (void *)destination;
            messages[i].msg_hdr.msg_namelen = destination_length;
            messages[i].msg_hdr.msg_iov = &vectors[i];
            messages[i].msg_hdr.msg_iovlen = 1;
        }
        unsigned int next = 0;
        while (next < chunk) {
            int result = sendmmsg(fd, &messages[next], chunk - next, MSG_DONTWAIT);
            if (result > 0) {
                next += (unsigned int)result;
                sent += (unsigned int)result;
                continue;
            }
            if (result < 0 && errno == EINTR) continue;
            int error = result < 0 ? errno : EIO;
            *last_error = error;
            if (error == EAGAIN || error == EWOULDBLOCK || error == ENOBUFS) return sent;
            next += 1; // the kernel refused this datagram: skip it, send the rest
        }
    }
    return sent;
}

unsigned int cnetns_receive_batch(int fd, unsigned char *arena, size_t slot_size, size_t *lengths, unsigned int count) {
    enum { max_batch = 64 };
    struct mmsghdr messages[max_batch];
    struct iovec vectors[max_batch];
    if (count > max_batch) count = max_batch;
    for (unsigned int i = 0; i < count; i++) {
        vectors[i].iov_base = arena + i * slot_size;
        vectors[i].iov_len = slot_size;
        memset(&messages[i], 0, sizeof(messages[i]));
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
    }
    int received;
    do {
        received = recvmmsg(fd, messages, count, MSG_DONTWAIT, NULL);
    } while (received < 0 && errno == EINTR);
    if (received <= 0) return 0;
    for (int i = 0; i < received; i++) lengths[i] = messages[i].msg_len;
    return (unsigned int)received;
}

/// Sends the rtnetlink request `request` (its nlmsg_len set) and reads the answer into `answer`;
/// returns the answer's length, or -1 with errno set (from an NLMSG_ERROR answer too).
static ssize_t cnetns_rtnetlink(struct nlmsghdr *request, char *answer, size_t capacity) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return -1;
    request->nlmsg_flags = NLM_F_REQUEST;
    request->nlmsg_seq = 1;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    ssize_t length = -1;
    if (sendto(fd, request, request->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) goto done;
    do {
        length = recv(fd, answer, capacity, 0);
    } while (length < 0 && errno == EINTR);
    if (length < 0) goto done;
    struct nlmsghdr *header = (struct nlmsghdr *)answer;
    if (!NLMSG_OK(header, (size_t)length)) {
        errno = EPROTO;
        length = -1;
    } else if (header->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *error = NLMSG_DATA(header);
        errno = error->error ? -error->error : EPROTO;
        length = -1;
    }
done:;
    int saved = errno;
    close(fd);
    errno = saved;
    return length;
}

int cnetns_link(const char *name, int ifindex, struct cnetns_link *out) {
    struct {
        struct nlmsghdr header;
        struct ifinfomsg info;
        char attributes[64];
    } request;
    memset(&request, 0, sizeof request);
    request.header.nlmsg_type = RTM_GETLINK;
    request.header.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
    request.info.ifi_family = AF_UNSPEC;
    request.info.ifi_index = ifindex;
    if (name != NULL) {
        size_t length = strlen(name) + 1;
        if (length > IFNAMSIZ) {
            errno = ENODEV;
            return -1;
        }
        struct rtattr *attribute = (struct rtattr *)((char *)&request + NLMSG_ALIGN(request.header.nlmsg_len));
        attribute->rta_type = IFLA_IFNAME;
        attribute->rta_len = RTA_LENGTH(length);
        memcpy(RTA_DATA(attribute), name, length);
        request.header.nlmsg_len = NLMSG_ALIGN(request.header.nlmsg_len) + RTA_ALIGN(attribute->rta_len);
    }
    char answer[16384];
    ssize_t length = cnetns_rtnetlink(&request.header, answer, sizeof answer);
    if (length < 0) return -1;
    struct nlmsghdr *header = (struct nlmsghdr *)answer;
    if (header->nlmsg_type != RTM_NEWLINK) {
        errno = EPROTO;
        return -1;
    }
    struct ifinfomsg *info = NLMSG_DATA(header);
    memset(out, 0, sizeof *out);
    out->ifindex = info->ifi_index;
    out->link_nsid = -1;
    int remaining = (int)IFLA_PAYLOAD(header);
    for (struct rtattr *attribute = IFLA_RTA(info); RTA_OK(attribute, remaining); attribute = RTA_NEXT(attribute, remaining)) {
        switch (attribute->rta_type) {
        case IFLA_LINK: out->link_ifindex = *(int *)RTA_DATA(attribute); break;
        case IFLA_LINK_NETNSID: out->link_nsid = *(int *)RTA_DATA(attribute); break;
        case IFLA_MASTER: out->master_ifindex = *(int *)RTA_DATA(attribute); break;
        case IFLA_LINKINFO: {
            int nested = (int)RTA_PAYLOAD(attribute);
            for (struct rtattr *inner = RTA_DATA(attribute); RTA_OK(inner, nested); inner = RTA_NEXT(inner, nested)) {
                if (inner->rta_type != IFLA_INFO_KIND) continue;
                size_t kind = RTA_PAYLOAD(inner) < sizeof out->kind - 1 ? RTA_PAYLOAD(inner) : sizeof out->kind - 1;
                memcpy(out->kind, RTA_DATA(inner), kind);
                out->kind[kind] = 0;
            }
            break;
        }
        default: break;
        }
    }
    return 0;
}

int cnetns_nsid_of(int namespace_fd) {
    struct {
        struct nlmsghdr header;
        struct rtgenmsg family;
        char attributes[16];
    } request;
    memset(&request, 0, sizeof request);
    request.header.nlmsg_type = RTM_GETNSID;
    request.header.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtgenmsg));
    request.family.rtgen_family = AF_UNSPEC;
    struct rtattr *attribute = (struct rtattr *)((char *)&request + NLMSG_ALIGN(request.header.nlmsg_len));
    attribute->rta_type = NETNSA_FD;
    attribute->rta_len = RTA_LENGTH(sizeof(uint32_t));
    uint32_t fd = (uint32_t)namespace_fd;
    memcpy(RTA_DATA(attribute), &fd, sizeof fd);
    request.header.nlmsg_len = NLMSG_ALIGN(request.header.nlmsg_len) + RTA_ALIGN(attribute->rta_len);
    char answer[1024];
    ssize_t length = cnetns_rtnetlink(&request.header, answer, sizeof answer);
    if (length < 0) return -2;
    struct nlmsghdr *header = (struct nlmsghdr *)answer;
    if (header->nlmsg_type != RTM_NEWNSID) {
        errno = EPROTO;
        return -2;
    }
    struct rtgenmsg *family = NLMSG_DATA(header);
    int remaining = (int)(header->nlmsg_len - NLMSG_LENGTH(sizeof *family));
    for (struct rtattr *nsid = (struct rtattr *)((char *)family + NLMSG_ALIGN(sizeof *family)); RTA_OK(nsid, remaining);
         nsid = RTA_NEXT(nsid, remaining)) {
        if (nsid->rta_type == NETNSA_NSID) return *(int *)RTA_DATA(nsid);
    }
    return -1;
}
