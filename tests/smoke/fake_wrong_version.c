/* A fake "mimalloc" for the harness self-test: it does serve malloc and the
 * C++ operators (by forwarding to glibc's __libc_* functions), but its
 * version query answers 210 where 2.0.9 (209) is expected. The identity
 * check must reject it for the version. Run as "--variant secure" it must
 * also be rejected: glibc's own double-free report is not mimalloc's. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#define EXPORT __attribute__((visibility("default")))

void* __libc_malloc(size_t n);
void* __libc_calloc(size_t count, size_t n);
void* __libc_realloc(void* p, size_t n);
void* __libc_memalign(size_t alignment, size_t n);
void* __libc_valloc(size_t n);
void __libc_free(void* p);

EXPORT int mi_version(void) { return 210; }

EXPORT bool mi_is_in_heap_region(const void* p) {
    (void)p;
    return true;
}

EXPORT void* malloc(size_t n) { return __libc_malloc(n); }
EXPORT void* calloc(size_t count, size_t n) { return __libc_calloc(count, n); }
EXPORT void* realloc(void* p, size_t n) { return __libc_realloc(p, n); }
EXPORT void free(void* p) { __libc_free(p); }
EXPORT void* memalign(size_t alignment, size_t n) { return __libc_memalign(alignment, n); }
EXPORT void* aligned_alloc(size_t alignment, size_t n) { return __libc_memalign(alignment, n); }
EXPORT void* valloc(size_t n) { return __libc_valloc(n); }

EXPORT int posix_memalign(void** out, size_t alignment, size_t n) {
    if (alignment < sizeof(void*) || (alignment & (alignment - 1)) != 0) return EINVAL;
    void* p = __libc_memalign(alignment, n);
    if (p == NULL) return ENOMEM;
    *out = p;
    return 0;
}

/* glibc's malloc_usable_size, found through libc's own handle. */
EXPORT size_t malloc_usable_size(void* p) {
    static size_t (*glibc_usable)(void*);
    if (glibc_usable == NULL) {
        void* libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
        /* POSIX's idiom for a function pointer from dlsym() (ISO C has no cast). */
        if (libc != NULL) *(void**)&glibc_usable = dlsym(libc, "malloc_usable_size");
        if (glibc_usable == NULL) abort();
    }
    return glibc_usable(p);
}

/* C++ operators (Itanium mangling); operator new must not return NULL. */
static void* must(void* p) {
    if (p == NULL) abort();
    return p;
}
EXPORT void* _Znwm(size_t n) { return must(__libc_malloc(n)); }
EXPORT void* _Znam(size_t n) { return must(__libc_malloc(n)); }
EXPORT void* _ZnwmSt11align_val_t(size_t n, size_t a) { return must(__libc_memalign(a, n)); }
EXPORT void* _ZnamSt11align_val_t(size_t n, size_t a) { return must(__libc_memalign(a, n)); }
EXPORT void _ZdlPv(void* p) { __libc_free(p); }
EXPORT void _ZdaPv(void* p) { __libc_free(p); }
EXPORT void _ZdlPvm(void* p, size_t n) { (void)n; __libc_free(p); }
EXPORT void _ZdaPvm(void* p, size_t n) { (void)n; __libc_free(p); }
EXPORT void _ZdlPvSt11align_val_t(void* p, size_t a) { (void)a; __libc_free(p); }
EXPORT void _ZdaPvSt11align_val_t(void* p, size_t a) { (void)a; __libc_free(p); }
EXPORT void _ZdlPvmSt11align_val_t(void* p, size_t n, size_t a) { (void)n; (void)a; __libc_free(p); }
EXPORT void _ZdaPvmSt11align_val_t(void* p, size_t n, size_t a) { (void)n; (void)a; __libc_free(p); }
