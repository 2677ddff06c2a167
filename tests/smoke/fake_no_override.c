/* A fake "mimalloc" for the harness self-test: it answers the version query
 * like mimalloc 2.0.9 and claims to own every address, but it does not
 * override malloc (what an MI_OVERRIDE=OFF build looks like under
 * LD_PRELOAD). The identity check must reject it: malloc resolves to libc. */
#include <stdbool.h>

__attribute__((visibility("default"))) int mi_version(void) { return 209; }

__attribute__((visibility("default"))) bool mi_is_in_heap_region(const void* p) {
    (void)p;
    return true;
}
