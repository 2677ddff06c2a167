/* A library that aborts every process that loads it: the preload probe must
   refuse it before any unit is touched. */
#include <stdlib.h>

__attribute__((constructor)) static void allocpipe_host_test_abort_on_load(void) { abort(); }
