#pragma once
// Consumer groups through librdkafka's Admin API: discovery, descriptions, committed offsets. Uses its
// own handle, so a misbehaving group coordinator can never stall metadata or watermark requests.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kafka/cluster_client.h"
#include "kafka/types.h"
#include "util/interned_string.h"

namespace kpe::kafka {

/// Why a request failed, for decisions (fall back, export a refusal) rather than for display.
enum class ErrorKind {
  kNone,
  kUnsupported,    // the broker does not implement the API (e.g. librdkafka's mock and ListGroups)
  kAuthorization,  // *_AUTHORIZATION_FAILED: the principal may not do this
  kTimeout,
  kOther,
};

struct GroupListing {
  std::string group_id;
  std::string state;  // "Stable", "Empty", ... ; "Unknown" when the broker does not say (ListGroups < v4)
  bool is_simple = false;
};

struct ListGroupsResult {
  std::vector<GroupListing> groups;  // sorted by group_id
  std::string error;                 // "" on success
  ErrorKind kind = ErrorKind::kNone;
};

struct GroupMember {
  std::string member_id;
  std::string client_id;
  std::string host;
  std::vector<PartitionRef> assignment;  // sorted
};

struct GroupDescription {
  std::string group_id;
  std::string state;
  std::string assignor;  // partition assignor (protocol), e.g. "range"
  int32_t coordinator_id = -1;
  bool is_simple = false;
  std::vector<GroupMember> members;  // sorted by member_id
  std::string error;                 // "" on success
  ErrorKind kind = ErrorKind::kNone;
};

struct CommittedOffset {
  util::InternedString topic;  // 8 bytes: one per committed partition read
  int32_t partition = 0;
  int64_t offset = -1;  // -1: no committed offset
  std::string error;    // per-partition error, "" when none
};

struct GroupOffsets {
  std::string group_id;
  // Sorted by (topic, partition); only watched partitions with a commit (or with a per-partition error).
  std::vector<CommittedOffset> offsets;
  std::string error;  // "" on success
  ErrorKind kind = ErrorKind::kNone;
};

/// The group.id of the GroupClient's handle: the group it could commit to, which it never does (no join, no
/// subscription, no commit). librdkafka 2.0.2 needs one there to survive OffsetFetch coordinator errors.
/// Brokers see it only in FindCoordinator requests; no group of that name is ever created.
inline constexpr std::string_view kOffsetsReaderGroupId = "kafka-perf-exporter-offsets-reader";

struct GroupClientOptions {
  ClientOptions client;        // servers, properties, timeout (deadline of each call below)
  /// Admin requests outstanding at once, whatever the group count, including requests left unanswered
  /// at an earlier call's deadline (they stay outstanding inside librdkafka until they answer).
  size_t max_in_flight = 16;
  size_t describe_batch = 50;  // groups per DescribeConsumerGroups request
  /// Partitions per OffsetFetch request when partitions are listed explicitly (librdkafka 2.0.2 parses
  /// an answer in time quadratic in its length). A watched list that fits in one request is asked
  /// whole on every call, hints or not.
  size_t partitions_per_request = 250;
  /// With hints (see FetchCommittedOffsets), each call of a group also asks one slice of a rolling
  /// sweep over the watched partitions, so each is asked once every N calls of that group: N is watched
  /// partitions / partitions otherwise asked (so the sweep costs about as much as the hinted
  /// partitions), at least full_sweep_every and at most 8 x full_sweep_every; up to 16 x when a
  /// smaller slice saves a request (it then fills the room left in the hinted partitions' last one).
  size_t full_sweep_every = 10;
  /// When every in-flight slot has been taken by unanswered requests and no answer at all came for
  /// this long, the client is wedged (librdkafka 2.0.2 can leave coordinator requests waiting
  /// forever, seen with many groups and a slow broker): its handle is replaced by a new one, and the
  /// old one destroyed with its requests. 0: never.
  std::chrono::milliseconds reopen_after{60000};
  /// How long destruction waits for requests still outstanding (late answers of calls that hit their
  /// deadline) before destroying the handle.
  std::chrono::milliseconds close_wait{2000};
};

/// Owns one librdkafka handle for group requests. Thread-compatible: calls must not overlap. Every
/// call returns within about options.client.timeout, with per-group errors for what did not answer.
/// librdkafka itself never times out a request of this client before an hour (its 2.0.2 crashes when a
/// group coordinator request times out inside it, confluentinc/librdkafka#4605): a request unanswered
/// at a call's deadline stays outstanding, occupies one of max_in_flight, and its late answer is
/// dropped by a later call (or by destruction, which waits up to options.close_wait for them).
class GroupClient {
 public:
  /// Throws std::invalid_argument naming the property when librdkafka rejects a configuration value.
  explicit GroupClient(GroupClientOptions options);
  ~GroupClient();
  GroupClient(const GroupClient&) = delete;
  GroupClient& operator=(const GroupClient&) = delete;

  /// Times the client replaced its wedged handle (see GroupClientOptions::reopen_after).
  uint64_t Reopens() const;

  /// All consumer groups the brokers know (ListConsumerGroups). kind tells unsupported/authorization
  /// refusals apart so the caller can fall back to statically configured groups. When some brokers
  /// answer and others fail, `groups` holds what was answered and `error`/`kind` describe the failures.
  /// An answer where every broker says "unsupported" is remembered (see DescribeGroups).
  ListGroupsResult ListGroups();

  /// Describes `group_ids` (DescribeConsumerGroups), in batches, with at most max_in_flight requests
  /// outstanding. One entry per input, same order; groups not answered by the deadline get kTimeout.
  /// DescribeConsumerGroups is never sent to a cluster that lacks the group APIs (it may never answer
  /// and wedge the handle): if no ListGroups has told yet, one is sent first (same deadline), and if the
  /// cluster is unsupported every entry is kUnsupported without a request.
  std::vector<GroupDescription> DescribeGroups(const std::vector<std::string>& group_ids);

  /// Committed offsets of each group (ListConsumerGroupOffsets, one group per request as librdkafka
  /// 2.0.2 requires, at most max_in_flight outstanding). `partitions` is the fallback list asked for
  /// explicitly when the broker does not answer "all partitions" (librdkafka's mock, old brokers);
  /// only partitions in `partitions` are returned. One entry per input group, same order.
  /// Each group is first asked for "all partitions" (one OffsetFetch whatever the partition count). A
  /// group answered with nothing is asked again with the explicit list while the client has not yet
  /// learned which kind of cluster it talks to; the client then remembers: any non-empty "all" answer
  /// means the cluster understands it (empty answers are then trusted), and an empty "all" answer for
  /// a group whose explicit answer has a commit means it does not (the explicit list is used from then
  /// on). While it has not learned, a call asks its first max_in_flight groups this way before the
  /// others, which are then asked the learned way. Empty `partitions`: entries without offsets and
  /// without a request.
  std::vector<GroupOffsets> FetchCommittedOffsets(const std::vector<std::string>& group_ids,
                                                  const std::vector<PartitionRef>& partitions);

  /// As above, with a hint per group for clusters that need the explicit list: hints[i] names the topics
  /// group i committed on before (e.g. from the previous answer; duplicates allowed). Once the client knows the cluster
  /// needs the explicit list, and the watched partitions do not fit in one request, group i is asked
  /// for the watched partitions of the topics in hints[i] (so a partition of those topics committed
  /// for the first time is still found) plus one slice of its rolling sweep over `partitions` (see
  /// GroupClientOptions::full_sweep_every), which finds commits on other topics within one sweep.
  /// When hints[i] names no watched topic, the group is asked for the first watched partition of each
  /// watched topic (and its slice) and, in the same call, for every watched partition of the topics
  /// where that found a commit: a topic whose first partition has no commit of the group is found by
  /// the sweep. When that second round does not answer, its topics are asked next call as if hinted.
  /// Clusters that answer "all partitions" ignore hints. `hints` must be empty (no hints) or have one
  /// entry per
  /// group; otherwise std::invalid_argument naming both sizes.
  std::vector<GroupOffsets> FetchCommittedOffsets(const std::vector<std::string>& group_ids,
                                                  const std::vector<PartitionRef>& partitions,
                                                  const std::vector<std::vector<std::string>>& hints);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kpe::kafka
