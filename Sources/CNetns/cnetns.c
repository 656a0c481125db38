#define _GNU_SOURCE
#include <sched.h>
#include "cnetns.h"

int cnetns_enter(int fd) { return setns(fd, CLONE_NEWNET); }
