/* A fake "mimalloc 2.0.9" for the harness self-test of the secure check: it
 * serves malloc (forwarding to glibc's __libc_* functions), answers
 * mi_version() = 209 and detects a double free the way mimalloc does, with
 * mimalloc's own report ("mimalloc: error: double free detected ..."). But
 * with MIMALLOC_VERBOSE=1 it reports "secure level: FAKE_SECURE_LEVEL", or
 * no secure level line at all when FAKE_SECURE_LEVEL is not defined. The
 * secure check must reject it: one detected double free does not make a
 * secure build, "secure level: 4" is required as well. */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

void* __libc_malloc(size_t n);
void* __libc_calloc(size_t count, size_t n);
void* __libc_realloc(void* p, size_t n);
void* __libc_memalign(size_t alignment, size_t n);
void __libc_free(void* p);

/* Blocks freed recently, kept out of glibc so a second free() can be seen.
 * The probe's secure modes are single-threaded; a spin lock keeps this
 * correct anyway. */
enum { kRecent = 256 };
static void* recent[kRecent];
static size_t next_slot;
static int lock_word;

static void lock(void) {
    while (__atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE)) {
    }
}
static void unlock(void) { __atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE); }

static void say(const char* text) {
    ssize_t ignored = write(2, text, strlen(text));
    (void)ignored;
}

__attribute__((constructor)) static void announce(void) {
    const char* verbose = getenv("MIMALLOC_VERBOSE");
    if (verbose == NULL || strcmp(verbose, "1") != 0) return;
    say("mimalloc: option 'verbose': 1\n");
#ifdef FAKE_SECURE_LEVEL
#define FAKE_STR2(x) #x
#define FAKE_STR(x) FAKE_STR2(x)
    say("mimalloc: secure level: " FAKE_STR(FAKE_SECURE_LEVEL) "\n");
#endif
}

EXPORT int mi_version(void) { return 209; }

EXPORT bool mi_is_in_heap_region(const void* p) {
    (void)p;
    return true;
}

EXPORT void* malloc(size_t n) { return __libc_malloc(n); }
EXPORT void* calloc(size_t count, size_t n) { return __libc_calloc(count, n); }
EXPORT void* realloc(void* p, size_t n) { return __libc_realloc(p, n); }
EXPORT void* aligned_alloc(size_t alignment, size_t n) { return __libc_memalign(alignment, n); }
EXPORT void* memalign(size_t alignment, size_t n) { return __libc_memalign(alignment, n); }

EXPORT void free(void* p) {
    if (p == NULL) return;
    lock();
    for (size_t i = 0; i < kRecent; ++i) {
        if (recent[i] == p) {
            unlock();
            say("mimalloc: error: double free detected of block (fake)\n");
            return;
        }
    }
    /* The oldest remembered block really goes back to glibc. */
    void* oldest = recent[next_slot];
    recent[next_slot] = p;
    next_slot = (next_slot + 1) % kRecent;
    unlock();
    if (oldest != NULL) __libc_free(oldest);
}
