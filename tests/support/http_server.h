// A tiny loopback HTTP/1.0 server for tests: serves canned responses (or a
// directory) on 127.0.0.1 with a kernel-chosen port. One connection at a
// time, Connection: close. Never listens on anything but loopback.
#pragma once
#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace allocpipe::test {

struct Response {
  int status = 200;
  std::string body;
  std::map<std::string, std::string> headers;
};

class HttpServer {
 public:
  using Handler = std::function<Response(const std::string& path)>;

  explicit HttpServer(Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path = "") const;
  int requests() const { return requests_; }

  // Serves files below `root`; anything else is 404.
  static Handler directory(const std::filesystem::path& root);

 private:
  void serve();
  void answer(int client);

  Handler handler_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

}  // namespace allocpipe::test
