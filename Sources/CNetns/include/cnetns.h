#ifndef CNETNS_H
#define CNETNS_H
/// Enters the network namespace open at `fd` on the calling thread (setns(2) with CLONE_NEWNET).
/// Returns 0, or -1 with errno set.
int cnetns_enter(int fd);
#endif
