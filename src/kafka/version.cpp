#include "kafka/version.h"

#include <librdkafka/rdkafka.h>

namespace kpe::kafka {

std::string LibrdkafkaVersion() { return rd_kafka_version_str(); }

}  // namespace kpe::kafka
