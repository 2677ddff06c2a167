/* packaging.repo's probe for a foreign architecture (built with that
 * architecture's cross compiler, run under qemu-user): proves that the
 * library named by argv[1] is the allocator in use, whatever its family:
 *   - malloc, as this program resolved it, lies in that library (dladdr);
 *   - the library is mapped (/proc/self/maps);
 *   - allocations of many sizes, freed in another order, work.
 * Exit 0 and one line on stdout when all hold; 1 otherwise (the repo test
 * also runs it without the preload and expects 1, so the probe can tell). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BLOCKS = 20000 };

static int mapped(const char *library) {
  FILE *maps = fopen("/proc/self/maps", "r");
  char line[4096];
  int found = 0;
  if (!maps) return 0;
  while (!found && fgets(line, sizeof line, maps)) found = strstr(line, library) != NULL;
  fclose(maps);
  return found;
}

int main(int argc, char **argv) {
  static void *blocks[BLOCKS];
  void *(*volatile resolved_malloc)(size_t) = malloc; /* volatile: the address the dynamic linker bound */
  Dl_info info;
  if (argc != 2) {
    fprintf(stderr, "usage: %s LIBRARY\n", argv[0]);
    return 2;
  }
  if (!dladdr((void *)resolved_malloc, &info) || !info.dli_fname) {
    fprintf(stderr, "probe: dladdr cannot place malloc\n");
    return 1;
  }
  if (strcmp(info.dli_fname, argv[1]) != 0) {
    fprintf(stderr, "probe: malloc comes from %s, not %s\n", info.dli_fname, argv[1]);
    return 1;
  }
  if (!mapped(argv[1])) {
    fprintf(stderr, "probe: %s is not in /proc/self/maps\n", argv[1]);
    return 1;
  }
  for (int i = 0; i < BLOCKS; i++) {
    size_t size = (size_t)(i * 7919) % 16384 + 1;
    blocks[i] = resolved_malloc(size);
    if (!blocks[i]) return 1;
    memset(blocks[i], i & 0xff, size);
  }
  for (int i = 0; i < BLOCKS; i += 2) free(blocks[i]);
  for (int i = 1; i < BLOCKS; i += 2) {
    if (((unsigned char *)blocks[i])[0] != (i & 0xff)) return 1;
    free(blocks[i]);
  }
  printf("malloc from %s, mapped, %d blocks allocated and freed\n", info.dli_fname, BLOCKS);
  return 0;
}
