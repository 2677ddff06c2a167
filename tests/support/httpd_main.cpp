// allocpipe-test-httpd DIR PORTFILE: serve DIR on 127.0.0.1 until killed
// (used by the end-to-end superbuild test). Writes the port to PORTFILE
// (temp name, then rename) once it is listening.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <unistd.h>

#include "http_server.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: allocpipe-test-httpd DIR PORTFILE\n";
    return 2;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // the server thread inherits the mask
  allocpipe::test::HttpServer server(allocpipe::test::HttpServer::directory(argv[1]));
  const std::string temp = std::string(argv[2]) + ".tmp";
  std::ofstream(temp) << server.port() << "\n";
  std::filesystem::rename(temp, argv[2]);
  int signal = 0;
  sigwait(&set, &signal);
  return 0;
}
