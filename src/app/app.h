#pragma once
// The running daemon: wires config, collectors, the exposition cache and the HTTP server together.

#include <functional>
#include <memory>

#include "config/config.h"

namespace kpe::app {

/// Owns every long-lived part of the exporter. Run() blocks until SIGINT/SIGTERM (or Stop()).
/// Thread-safety: Stop() may be called from any thread; everything else from the thread that made it.
class App {
 public:
  /// Reads and validates the configuration again (file and flags); throws config::ConfigError.
  using Reloader = std::function<std::shared_ptr<const config::ValidatedConfig>()>;

  /// `reloader` is called on SIGHUP (and POST /-/reload when enabled); without one, reloads fail.
  explicit App(std::shared_ptr<const config::ValidatedConfig> config, Reloader reloader = {});
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  /// Starts (binds the listen address: throws std::runtime_error when that fails), serves until
  /// stopped, then shuts down in order. Returns the process exit code.
  int Run();
  /// Asks Run() to return. Thread-safe, idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kpe::app
