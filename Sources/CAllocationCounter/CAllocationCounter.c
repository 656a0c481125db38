// Counts heap allocations by defining the C library's allocation functions in the executable that links
// this target: the dynamic linker binds every call to malloc & co. — from Swift's runtime, Foundation,
// libpcap, glibc itself — to the first definition, the executable's. Each one counts on the calling
// thread and forwards to glibc's own allocator through its `__libc_*` entry points, so memory behaves
// exactly as without this file and a block from any entry point may be freed through any other.
//
// Linked only into the allocation benchmark (Benchmarks/allocations) and the test binary (through
// TapsterAllocationCounting); never into `tapster`.
#include "CAllocationCounter.h"

#if defined(__linux__) && defined(__GLIBC__)
#include <errno.h>
#include <stddef.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void __libc_free(void *pointer);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

// Thread-local, so no atomics and no contention; initial-exec so that reaching it never calls
// __tls_get_addr, which may itself allocate (and so recurse into malloc).
static __thread tapster_allocation_counts counts __attribute__((tls_model("initial-exec")));

static inline void count_allocation(size_t size) {
    counts.allocations += 1;
    counts.bytes += size;
}

tapster_allocation_counts tapster_thread_allocation_counts(void) { return counts; }

void *malloc(size_t size) {
    count_allocation(size);
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    count_allocation(count * size);
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    if (pointer == NULL) {
        count_allocation(size);
    } else if (size == 0) {
        counts.frees += 1;
    } else {
        count_allocation(size);
        counts.frees += 1;
    }
    return __libc_realloc(pointer, size);
}

void free(void *pointer) {
    if (pointer != NULL) counts.frees += 1;
    __libc_free(pointer);
}

void *memalign(size_t alignment, size_t size) {
    count_allocation(size);
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    count_allocation(size);
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    // POSIX: a power of two and a multiple of sizeof(void *), else EINVAL; errno is left alone.
    if (alignment == 0 || alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
    count_allocation(size);
    int saved = errno;
    void *pointer = __libc_memalign(alignment, size);
    errno = saved;
    if (pointer == NULL) return ENOMEM;
    *result = pointer;
    return 0;
}

void *valloc(size_t size) {
    count_allocation(size);
    return __libc_valloc(size);
}

void *pvalloc(size_t size) {
    count_allocation(size);
    return __libc_pvalloc(size);
}

#else
// Elsewhere nothing is interposed and the counts stay 0 (AllocationCounter.isCounting says so).
tapster_allocation_counts tapster_thread_allocation_counts(void) {
    tapster_allocation_counts none = {0, 0, 0};
    return none;
}
#endif
