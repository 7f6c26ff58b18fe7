#pragma once

#include <string>

namespace kpe::kafka {

/// The version of the librdkafka library linked at run time (e.g. "2.0.2"). Thread-safe.
std::string LibrdkafkaVersion();

}  // namespace kpe::kafka
