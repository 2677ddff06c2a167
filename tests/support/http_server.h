// A tiny loopback HTTP/1.0 server for tests: serves canned responses (or a
// directory) on 127.0.0.1 with a kernel-chosen port. One connection at a
// time, Connection: close. Never listens on anything but loopback.
//
// Responses can misbehave on purpose (Response::fault): reset the
// connection mid-body, trickle, stream forever, announce a false
// Content-Length or none. Every request is recorded for assertions.
#pragma once
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace allocpipe::test {

struct Request {
  std::string method, path;
  std::map<std::string, std::string> headers;  // names in lower case
};

struct Response {
  int status = 200;
  std::string body;
  std::map<std::string, std::string> headers;

  enum class Fault {
    none,
    reset,    // send `fault_after` body bytes, then a TCP reset
    trickle,  // send `trickle_chunk` bytes every `trickle_delay_ms`, the body repeated forever
    endless,  // send the body repeated forever, as fast as the client reads
  };
  Fault fault = Fault::none;
  std::size_t fault_after = 0;
  std::optional<std::uint64_t> content_length;  // announced; default: the body's size
  bool no_content_length = false;               // announce none: the body runs until close
  int trickle_delay_ms = 200;
  std::size_t trickle_chunk = 1;
};

class HttpServer {
 public:
  using Handler = std::function<Response(const std::string& path)>;
  using RequestHandler = std::function<Response(const Request& request)>;

  explicit HttpServer(Handler handler);
  explicit HttpServer(RequestHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path = "") const;
  int requests() const { return requests_; }
  std::vector<Request> received() const;
  std::uint64_t body_bytes_sent() const { return body_bytes_sent_; }

  // Serves files below `root`; anything else is 404.
  static Handler directory(const std::filesystem::path& root);

 private:
  void start();
  void serve();
  void answer(int client);
  bool send_all(int client, const char* data, std::size_t size);
  bool pause(int ms) const;  // false when the server is stopping

  RequestHandler handler_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0};
  std::atomic<std::uint64_t> body_bytes_sent_{0};
  mutable std::mutex mutex_;
  std::vector<Request> received_;
  std::thread thread_;
};

// A loopback port whose listen backlog is full and never accepted: the
// kernel drops new SYNs, so a connect() to it hangs until the client's
// connect timeout, like a blackholed address, without leaving loopback.
class BlackholePort {
 public:
  BlackholePort();
  ~BlackholePort();
  BlackholePort(const BlackholePort&) = delete;
  BlackholePort& operator=(const BlackholePort&) = delete;
  std::string url(const std::string& path = "") const;

 private:
  int listener_ = -1;
  int port_ = 0;
  std::vector<int> fillers_;
};

}  // namespace allocpipe::test
