#pragma once
// The scriptable Python Kafka test broker (tests/testbroker/kafka_test_broker.py) as an RAII fixture.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include <simdjson.h>

extern char** environ;

namespace kpe::kafka::testing {

/// Starts the test broker with `state_json` as its state file and waits for READY (throws
/// std::runtime_error naming what failed, e.g. no READY within 10 s). Destruction sends SIGTERM and reaps
/// it; its stdin is a pipe this object holds, so it also exits if the test process dies. Not thread-safe.
class TestBroker {
 public:
  explicit TestBroker(const std::string& state_json, int brokers = 1) {
    char state_path[] = "/tmp/kpe-test-broker-XXXXXX";
    int state_fd = ::mkstemp(state_path);
    if (state_fd < 0) throw std::runtime_error("test broker: mkstemp failed");
    state_path_ = state_path;
    if (::write(state_fd, state_json.data(), state_json.size()) != static_cast<ssize_t>(state_json.size())) {
      ::close(state_fd);
      throw std::runtime_error("test broker: cannot write " + state_path_);
    }
    ::close(state_fd);

    int in[2];
    int out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
      throw std::runtime_error("test broker: pipe2 failed");
    }
    stdin_fd_ = in[1];
    stdout_fd_ = out[0];
    const std::string script = std::string(KPE_SOURCE_DIR) + "/tests/testbroker/kafka_test_broker.py";
    const std::string broker_count = std::to_string(brokers);
    std::vector<std::string> args = {"/usr/bin/python3", script,      "--state",
                                     state_path_,        "--brokers", broker_count};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);  // dup2 clears O_CLOEXEC on 0 and 1
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    const int spawned = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    if (spawned != 0) {
      pid_ = -1;
      Cleanup();
      throw std::runtime_error("test broker: cannot start " + script);
    }

    try {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      for (std::string line = ReadLine(deadline); line != "READY"; line = ReadLine(deadline)) {
        if (line.starts_with("LISTENING ")) port_ = std::stoi(line.substr(10));
        if (line.starts_with("CONTROL ")) control_port_ = std::stoi(line.substr(8));
      }
      control_fd_ = Connect(control_port_);
    } catch (...) {
      Cleanup();
      throw;
    }
  }

  ~TestBroker() { Cleanup(); }
  TestBroker(const TestBroker&) = delete;
  TestBroker& operator=(const TestBroker&) = delete;

  /// "127.0.0.1:PORT" of broker 1.
  std::string Bootstrap() const { return "127.0.0.1:" + std::to_string(port_); }

  /// Requests of API `api` (e.g. "DescribeGroups") the broker received so far.
  int64_t RequestCount(const std::string& api) {
    simdjson::dom::parser parser;
    const std::string answer = Control(R"({"op":"get_requests"})");
    simdjson::dom::element doc = parser.parse(answer);
    int64_t count = 0;
    if (doc["requests"][api].get(count) != simdjson::SUCCESS) return 0;
    return count;
  }

  /// Sends one control line (a JSON object) and returns the JSON answer line; throws if the broker says
  /// {"ok":false} or does not answer within 5 s.
  std::string Control(const std::string& json) {
    const std::string line = json + "\n";
    if (::send(control_fd_, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
      throw std::runtime_error("test broker control: send failed");
    }
    std::string answer;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    char c = 0;
    while (true) {
      pollfd pfd{control_fd_, POLLIN, 0};
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0 ||
          ::recv(control_fd_, &c, 1, 0) != 1) {
        throw std::runtime_error("test broker control: no answer to " + json);
      }
      if (c == '\n') break;
      answer += c;
    }
    if (answer.find("\"ok\": true") == std::string::npos && answer.find("\"ok\":true") == std::string::npos) {
      throw std::runtime_error("test broker control: " + json + " -> " + answer);
    }
    return answer;
  }

 private:
  std::string ReadLine(std::chrono::steady_clock::time_point deadline) {
    std::string line;
    char c = 0;
    while (true) {
      pollfd pfd{stdout_fd_, POLLIN, 0};
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
        throw std::runtime_error("test broker: no READY line within 10 s");
      }
      if (::read(stdout_fd_, &c, 1) != 1) {
        throw std::runtime_error("test broker: exited before READY");
      }
      if (c == '\n') return line;
      line += c;
    }
  }

  static int Connect(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(port));
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      if (fd >= 0) ::close(fd);
      throw std::runtime_error("test broker: cannot connect to control port " + std::to_string(port));
    }
    return fd;
  }

  void Cleanup() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    for (int* fd : {&stdin_fd_, &stdout_fd_, &control_fd_}) {
      if (*fd >= 0) ::close(*fd);
      *fd = -1;
    }
    if (!state_path_.empty()) ::unlink(state_path_.c_str());
    state_path_.clear();
  }

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int control_fd_ = -1;
  int port_ = 0;
  int control_port_ = 0;
  std::string state_path_;
};

}  // namespace kpe::kafka::testing
