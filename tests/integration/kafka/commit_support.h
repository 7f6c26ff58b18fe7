#pragma once
// Playing the applications' side on librdkafka's mock cluster: committing offsets as consumers do, and
// producing records with chosen timestamps. Tests may use librdkafka directly to play the other side.

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

// Produces `count` records with CreateTime `timestamp_ms` to one partition and waits for them.
inline void ProduceAt(const std::string& bootstrap, const std::string& topic, int32_t partition,
                      int64_t timestamp_ms, int count = 1) {
  rd::ConfPtr conf(rd_kafka_conf_new());
  rd::SetProperty(conf.get(), "bootstrap.servers", bootstrap);
  char error[512] = "";
  rd::HandlePtr rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf.release(), error, sizeof error));
  ASSERT_TRUE(rk) << error;
  for (int i = 0; i < count; ++i) {
    ASSERT_EQ(rd_kafka_producev(rk.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                                RD_KAFKA_V_VALUE(const_cast<char*>("v"), 1), RD_KAFKA_V_TIMESTAMP(timestamp_ms),
                                RD_KAFKA_V_END),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  ASSERT_EQ(rd_kafka_flush(rk.get(), 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
}

}  // namespace kpe::kafka::testing
