/* A library that loads cleanly: what the preload probe and the /proc/PID/maps
   tests find mapped in a child process. */
int allocpipe_host_test_preload_marker(void) { return 42; }
