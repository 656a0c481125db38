#ifndef C_HEAP_STATISTICS_H
#define C_HEAP_STATISTICS_H

#include <stddef.h>

/// Bytes of the heap in blocks handed out and not freed (glibc's `mallinfo2`: `uordblks` in arenas plus `hblkhd`
/// in blocks mapped on their own) — what the process's live values hold, whatever its arenas' free room.
size_t tapster_heap_bytes_in_use(void);

#endif
