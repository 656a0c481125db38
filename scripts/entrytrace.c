// entrytrace: the ptrace tracer of scripts/agent-symbol-order.sh, which compiles this file and runs tapster-agent
// under it (Benchmarks/README.md, "Functions placed together"). x86-64 Linux only.
//
//   entrytrace ADDRESSES OUT LOG PROGRAM [ARGS...]
//
// Runs PROGRAM under ptrace with a one-shot breakpoint (int3) on the first byte of each function whose link-time
// address (hex, one a line) ADDRESSES lists; appends each one's first entry to OUT (hex, in the order of first
// entries) and removes that breakpoint. Follows threads. SIGTERM and SIGINT are passed on to PROGRAM as SIGTERM.
// PROGRAM keeps the tracer's stdout and stderr; the tracer's own messages go to stderr and are appended to LOG
// too, whose last line, once PROGRAM has exited, is "entrytrace: H of N functions entered". Any failure: a message
// "entrytrace: ..." and exit status 1 (PROGRAM is killed with it, PTRACE_O_EXITKILL).
//
// Not PTRACE_O_TRACEFORK or PTRACE_O_TRACEVFORK: the agent does not fork or spawn processes today. A forked child
// would need breakpoints of its own (its copy of the memory keeps the int3s not yet hit, which this tracer removes
// only in the parent) and an exec'd one none; untraced, a child that ran the executable's code before exec would
// die of SIGTRAP. Trace children when the agent starts any.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct { uint64_t address; unsigned char original, hit; } Breakpoint;
static Breakpoint *points;
static size_t count;
static FILE *log_file;
static volatile pid_t traced;

// A signal while the tracer waits: pass it on as SIGTERM from here (kill is async-signal-safe), so that no check
// between the signal and waitpid can miss it; the tracee's signal-delivery stop then delivers it.
static void on_term(int sig) {
    (void)sig;
    if (traced > 0) kill(traced, SIGTERM);
}

static void say(const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    fputs("entrytrace: ", stderr);
    vfprintf(stderr, format, arguments);
    fputc('\n', stderr);
    va_end(arguments);
    if (log_file) {
        va_start(arguments, format);
        fputs("entrytrace: ", log_file);
        vfprintf(log_file, format, arguments);
        fputc('\n', log_file);
        fflush(log_file);
        va_end(arguments);
    }
}

#define fail(...) do { say(__VA_ARGS__); exit(1); } while (0)

// After a ptrace or /proc/PID/mem call on a stopped thread failed: whether the thread is gone (killed while stopped,
// e.g. by another thread's exit_group when the program exits), which is no failure of the trace.
static int thread_gone(pid_t pid, int error) {
    if (error == ESRCH) return 1;
    errno = 0;
    ptrace(PTRACE_PEEKUSER, pid, 0, 0);
    return errno == ESRCH;
}

static int compare(const void *a, const void *b) {
    uint64_t x = ((const Breakpoint *)a)->address, y = ((const Breakpoint *)b)->address;
    return x < y ? -1 : x > y;
}

static Breakpoint *find(uint64_t address) {
    size_t low = 0, high = count;
    while (low < high) {
        size_t middle = (low + high) / 2;
        if (points[middle].address < address) low = middle + 1; else high = middle;
    }
    return low < count && points[low].address == address ? &points[low] : NULL;
}

// Resumes a stopped thread with SIGNAL (0 for none); a thread gone meanwhile is skipped.
static void resume(pid_t pid, int signal) {
    if (ptrace(PTRACE_CONT, pid, 0, signal) != 0 && !thread_gone(pid, errno))
        fail("cannot resume thread %d: %s", (int)pid, strerror(errno));
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: entrytrace ADDRESSES OUT LOG PROGRAM [ARGS...]\n");
        return 2;
    }
    log_file = fopen(argv[3], "a");
    if (!log_file) fail("cannot open the log %s: %s", argv[3], strerror(errno));
    FILE *list = fopen(argv[1], "r");
    if (!list) fail("cannot open the address list %s: %s", argv[1], strerror(errno));
    size_t capacity = 1 << 16;
    points = malloc(capacity * sizeof *points);
    if (!points) fail("out of memory for %zu breakpoints", capacity);
    char line[64];
    while (fgets(line, sizeof line, list)) {
        if (count == capacity) {
            Breakpoint *grown = realloc(points, capacity * 2 * sizeof *points);
            if (!grown) fail("out of memory for %zu breakpoints", capacity * 2);
            points = grown;
            capacity *= 2;
        }
        points[count].address = strtoull(line, NULL, 16);
        points[count++].hit = 0;
    }
    fclose(list);
    qsort(points, count, sizeof *points, compare);
    FILE *out = fopen(argv[2], "w");
    if (!out) fail("cannot open %s: %s", argv[2], strerror(errno));
    setvbuf(out, NULL, _IOLBF, 0);

    pid_t child = fork();
    if (child < 0) fail("fork: %s", strerror(errno));
    if (child == 0) {
        fclose(log_file);
        if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0) { perror("entrytrace: PTRACE_TRACEME"); _exit(127); }
        execv(argv[4], argv + 4);
        fprintf(stderr, "entrytrace: cannot run %s: %s\n", argv[4], strerror(errno));
        _exit(127);
    }
    int status;
    if (waitpid(child, &status, 0) != child) fail("waitpid: %s", strerror(errno));   // stopped at its exec
    if (!WIFSTOPPED(status)) fail("%s did not start (status %#x)", argv[4], (unsigned)status);
    if (ptrace(PTRACE_SETOPTIONS, child, 0, PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL) != 0)
        fail("PTRACE_SETOPTIONS: %s", strerror(errno));

    // The load base: the executable's mapping of file offset 0 (a position-independent executable's vaddr 0).
    char path[64], exe[4096], entry[4096 + 256];
    snprintf(path, sizeof path, "/proc/%d/exe", (int)child);
    ssize_t length = readlink(path, exe, sizeof exe - 1);
    if (length < 0) fail("readlink %s: %s", path, strerror(errno));
    exe[length] = 0;
    snprintf(path, sizeof path, "/proc/%d/maps", (int)child);
    FILE *maps = fopen(path, "r");
    if (!maps) fail("cannot open %s: %s", path, strerror(errno));
    uint64_t base = UINT64_MAX;
    while (fgets(entry, sizeof entry, maps)) {
        unsigned long start, end, offset;
        char name[4096] = "", perms[8];
        if (sscanf(entry, "%lx-%lx %7s %lx %*s %*s %4095s", &start, &end, perms, &offset, name) == 5
            && strcmp(name, exe) == 0 && offset == 0) { base = start; break; }
    }
    fclose(maps);
    if (base == UINT64_MAX) fail("no mapping of %s at file offset 0", exe);
    snprintf(path, sizeof path, "/proc/%d/mem", (int)child);
    int mem = open(path, O_RDWR);
    if (mem < 0) fail("cannot open %s: %s", path, strerror(errno));
    unsigned char trap = 0xcc;
    for (size_t i = 0; i < count; i++)
        if (pread(mem, &points[i].original, 1, base + points[i].address) != 1
            || pwrite(mem, &trap, 1, base + points[i].address) != 1)
            fail("no breakpoint at %lx: %s", (unsigned long)points[i].address, strerror(errno));
    say("%zu breakpoints in %s", count, exe);

    traced = child;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_term;   // no SA_RESTART: waitpid returns EINTR, and the loop waits again
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGTERM, &action, NULL) != 0 || sigaction(SIGINT, &action, NULL) != 0)
        fail("sigaction: %s", strerror(errno));
    resume(child, 0);

    size_t hits = 0;
    for (;;) {
        pid_t pid = waitpid(-1, &status, __WALL);
        if (pid < 0) {
            if (errno == EINTR) continue;
            if (errno == ECHILD) break;
            fail("waitpid: %s", strerror(errno));
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) { if (pid == child) break; continue; }
        if (!WIFSTOPPED(status)) continue;
        int sig = WSTOPSIG(status), event = status >> 16;
        if (sig == SIGTRAP && event == 0) {
            struct user_regs_struct regs;
            if (ptrace(PTRACE_GETREGS, pid, 0, &regs) != 0) {
                if (thread_gone(pid, errno)) continue;
                fail("PTRACE_GETREGS of thread %d: %s", (int)pid, strerror(errno));
            }
            Breakpoint *point = find(regs.rip - 1 - base);
            if (point) {   // this thread ran the int3 (another may have removed it since): run the original byte
                if (!point->hit) {
                    errno = 0;
                    if (pwrite(mem, &point->original, 1, base + point->address) != 1) {
                        int error = errno;
                        if (thread_gone(pid, error)) continue;
                        fail("cannot restore the byte at %lx: %s", (unsigned long)point->address,
                             error ? strerror(error) : "short write");
                    }
                    point->hit = 1;
                    fprintf(out, "%lx\n", (unsigned long)point->address);
                    hits++;
                }
                regs.rip -= 1;
                if (ptrace(PTRACE_SETREGS, pid, 0, &regs) != 0) {
                    if (thread_gone(pid, errno)) continue;
                    fail("PTRACE_SETREGS of thread %d: %s", (int)pid, strerror(errno));
                }
                resume(pid, 0);
                continue;
            }
        }
        // a clone event, a new thread's first SIGSTOP: continue it; any other signal: deliver it
        resume(pid, event != 0 || sig == SIGSTOP ? 0 : sig);
    }
    if (fclose(out) != 0) fail("cannot write %s: %s", argv[2], strerror(errno));
    say("%zu of %zu functions entered", hits, count);
    return 0;
}
