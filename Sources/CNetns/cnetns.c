#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include "cnetns.h"

int cnetns_enter(int fd) { return setns(fd, CLONE_NEWNET); }

int cnetns_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

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
