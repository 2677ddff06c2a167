#include "http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cctype>
#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace allocpipe::test {
namespace {

// Loopback test traffic must never go through a proxy from the environment.
const bool proxies_cleared = [] {
  for (const char* name : {"http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"})
    ::unsetenv(name);
  return true;
}();

int loopback_listener(int backlog, int& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("test http server: socket failed");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // never anything but 127.0.0.1
  address.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd, backlog) != 0) {
    ::close(fd);
    throw std::runtime_error("test http server: bind/listen on 127.0.0.1 failed");
  }
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  port = ntohs(address.sin_port);
  return fd;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

}  // namespace

HttpServer::HttpServer(Handler handler)
    : handler_([handler = std::move(handler)](const Request& request) { return handler(request.path); }) {
  start();
}

HttpServer::HttpServer(RequestHandler handler) : handler_(std::move(handler)) { start(); }

void HttpServer::start() {
  listener_ = loopback_listener(16, port_);
  thread_ = std::thread([this] { serve(); });
}

HttpServer::~HttpServer() {
  stopping_ = true;
  ::shutdown(listener_, SHUT_RDWR);
  if (thread_.joinable()) thread_.join();
  ::close(listener_);
}

std::string HttpServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<Request> HttpServer::received() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return received_;
}

HttpServer::Handler HttpServer::directory(const std::filesystem::path& root) {
  return [root](const std::string& path) {
    Response response;
    const auto file = root / path.substr(path.find_first_not_of('/') == std::string::npos ? path.size() : path.find_first_not_of('/'));
    std::ifstream in(file, std::ios::binary);
    if (path.find("..") != std::string::npos || !in || std::filesystem::is_directory(file)) {
      response.status = 404;
      response.body = "not found";
      return response;
    }
    std::ostringstream body;
    body << in.rdbuf();
    response.body = body.str();
    return response;
  };
}

void HttpServer::serve() {
  while (!stopping_) {
    pollfd pfd{listener_, POLLIN, 0};
    if (::poll(&pfd, 1, 100) <= 0) continue;
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    answer(client);
    ::close(client);
  }
}

bool HttpServer::pause(int ms) const {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < until) {
    if (stopping_) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(ms, 10)));
  }
  return !stopping_;
}

bool HttpServer::send_all(int client, const char* data, std::size_t size) {
  std::size_t sent = 0;
  while (sent < size) {
    if (stopping_) return false;
    pollfd pfd{client, POLLOUT, 0};
    if (::poll(&pfd, 1, 100) <= 0) continue;  // re-check stopping_ while the client is not reading
    const ssize_t n = ::send(client, data + sent, size - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

void HttpServer::answer(int client) {
  std::string text;
  char buffer[4096];
  while (text.find("\r\n\r\n") == std::string::npos && text.size() < 65536) {
    pollfd pfd{client, POLLIN, 0};
    if (::poll(&pfd, 1, 100) <= 0) {
      if (stopping_) return;
      continue;
    }
    const ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
    if (n <= 0) return;
    text.append(buffer, static_cast<size_t>(n));
  }
  Request request;
  std::istringstream lines(text.substr(0, text.find("\r\n\r\n")));
  std::string line;
  std::getline(lines, line);
  std::istringstream(line) >> request.method >> request.path;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    request.headers[lower(line.substr(0, colon))] = line.substr(line.find_first_not_of(' ', colon + 1) == std::string::npos ? line.size() : line.find_first_not_of(' ', colon + 1));
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    received_.push_back(request);
  }
  ++requests_;
  const Response response = handler_(request);

  std::ostringstream head;
  head << "HTTP/1.0 " << response.status << " X\r\n";
  if (!response.no_content_length && response.fault != Response::Fault::endless &&
      response.fault != Response::Fault::trickle)
    head << "Content-Length: " << (response.content_length ? *response.content_length : response.body.size()) << "\r\n";
  else if (response.content_length)
    head << "Content-Length: " << *response.content_length << "\r\n";
  for (const auto& [name, value] : response.headers) head << name << ": " << value << "\r\n";
  head << "Connection: close\r\n\r\n";
  const std::string h = head.str();
  if (!send_all(client, h.data(), h.size())) return;

  const std::string& body = response.body;
  switch (response.fault) {
    case Response::Fault::none:
      if (send_all(client, body.data(), body.size())) body_bytes_sent_ += body.size();
      return;
    case Response::Fault::reset: {
      const std::size_t n = std::min(response.fault_after, body.size());
      if (send_all(client, body.data(), n)) body_bytes_sent_ += n;
      pause(50);  // let the bytes reach the client before the reset
      linger hard{1, 0};  // close() now sends RST instead of FIN
      ::setsockopt(client, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
      return;
    }
    case Response::Fault::trickle:
      if (body.empty()) return;
      for (std::size_t pos = 0;; pos = (pos + response.trickle_chunk) % body.size()) {
        const std::size_t n = std::min(response.trickle_chunk, body.size() - pos);
        if (!send_all(client, body.data() + pos, n)) return;
        body_bytes_sent_ += n;
        if (!pause(response.trickle_delay_ms)) return;
      }
    case Response::Fault::endless:
      if (body.empty()) return;
      for (;;) {
        if (!send_all(client, body.data(), body.size())) return;
        body_bytes_sent_ += body.size();
      }
  }
}

BlackholePort::BlackholePort() {
  listener_ = loopback_listener(0, port_);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port_));
  // Fill the accept queue (backlog 0 holds one) with our own connections.
  for (int i = 0; i < 4; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) break;
    ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    fillers_.push_back(fd);
  }
  for (int fd : fillers_) {
    pollfd pfd{fd, POLLOUT, 0};
    ::poll(&pfd, 1, 50);
  }
}

BlackholePort::~BlackholePort() {
  for (int fd : fillers_) ::close(fd);
  ::close(listener_);
}

std::string BlackholePort::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

}  // namespace allocpipe::test
