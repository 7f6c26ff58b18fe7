#pragma once
// Committing offsets the way applications do, for tests that need a group with commits on librdkafka's
// mock cluster. Tests may use librdkafka directly to play the other side.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kafka/rdkafka_ptr.h"

namespace kpe::kafka::testing {

struct Commit {
  std::string topic;
  int32_t partition;
  int64_t offset;
};

inline rd::PartitionListPtr ListOf(const std::vector<Commit>& commits) {
  rd::PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(commits.size())));
  for (const auto& c : commits) {
    rd_kafka_topic_partition_list_add(list.get(), c.topic.c_str(), c.partition)->offset = c.offset;
  }
  return list;
}

// A "simple" commit, as a consumer that assigns partitions itself does: a handle with group.id calling
// rd_kafka_commit with explicit offsets, without joining the group.
inline void SimpleCommit(const std::string& bootstrap, const std::string& group,
                  const std::vector<Commit>& commits) {
  rd::ConfPtr conf(rd_kafka_conf_new());
  rd::SetProperty(conf.get(), "bootstrap.servers", bootstrap);
  rd::SetProperty(conf.get(), "group.id", group);
  char error[512] = "";
  rd::HandlePtr rk(rd_kafka_new(RD_KAFKA_CONSUMER, conf.release(), error, sizeof error));
  ASSERT_TRUE(rk) << error;
  auto list = ListOf(commits);
  ASSERT_EQ(rd_kafka_commit(rk.get(), list.get(), /*async=*/0), RD_KAFKA_RESP_ERR_NO_ERROR) << group;
}

}  // namespace kpe::kafka::testing
