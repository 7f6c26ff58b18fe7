#include "kafka/group_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "kafka/admin_requests.h"
#include "kafka/handle.h"
#include "kafka/rdkafka_ptr.h"

namespace kpe::kafka {
namespace {

using Clock = std::chrono::steady_clock;
using rd::Describe;
using rd::KindOf;


bool operator<(const PartitionRef& a, const PartitionRef& b) {
  return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
}

std::vector<PartitionRef> RefsOf(const rd_kafka_topic_partition_list_t* list) {
  std::vector<PartitionRef> refs;
  if (list == nullptr) return refs;
  for (int i = 0; i < list->cnt; ++i) refs.push_back({list->elems[i].topic, list->elems[i].partition});
  std::ranges::sort(refs, [](const auto& a, const auto& b) { return a < b; });
  return refs;
}

// Whether the brokers answer OffsetFetch with an empty topic list ("all the group's partitions", Kafka's
// OffsetFetch v6+ on a real broker) with the group's offsets, or with nothing (librdkafka's mock, old
// brokers). Learned once per client: kWorks as soon as such a request returns any partition, kBroken as
// soon as it returns none for a group whose explicit list then shows a commit.
enum class AllPartitions { kUnknown, kWorks, kBroken };

enum class GroupApis { kUnknown, kSupported, kUnsupported };

// Partitions per OffsetFetch request when the explicit list is asked for (see FetchOffsets).
constexpr size_t kMaxPartitionsPerOffsetFetch = 250;
// How far beyond full_sweep_every a group whose hinted partitions are few among the watched ones may
// go between two full sweeps.
constexpr size_t kMaxSweepStretch = 8;

}  // namespace

struct GroupClient::Impl {
  GroupClientOptions options;
  rd::Handle rk;
  std::unique_ptr<rd::AdminRequests> requests;  // after rk: its queue is destroyed before the handle
  GroupApis group_apis = GroupApis::kUnknown;
  AllPartitions all_partitions = AllPartitions::kUnknown;
  // Per group: calls with an explicit hinted list since its last full explicit list. Rebuilt on each
  // FetchCommittedOffsets from the groups of that call, so it never outgrows them.
  std::unordered_map<std::string, size_t> hinted_calls;

  Clock::time_point Deadline() const { return Clock::now() + options.client.timeout; }

  // See rd::AdminRequests::Run.
  std::vector<bool> RunBounded(size_t count, rd_kafka_admin_op_t op, Clock::time_point deadline,
                               const rd::AdminRequests::Start& start,
                               const rd::AdminRequests::OnResult& on_result) {
    return requests->Run(count, op, deadline, start, on_result);
  }

  ListGroupsResult ListGroupsUntil(Clock::time_point deadline);
  void FetchOffsets(
      const std::vector<size_t>& which, const std::vector<std::string>& group_ids,
      const std::function<const rd_kafka_topic_partition_list_t*(size_t)>& list_of,
      Clock::time_point deadline,
      const std::function<void(size_t, const rd_kafka_group_result_t*, rd_kafka_event_t*)>& done,
      std::vector<bool>& answered);
};

GroupClient::GroupClient(GroupClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  const ClientOptions& opts = impl_->options.client;
  if (opts.servers.empty()) throw std::invalid_argument("kafka group client: no bootstrap servers");

  impl_->rk = rd::NewHandle(RD_KAFKA_CONSUMER, opts,
                            {.what = "kafka group client",
                             // librdkafka 2.0.2 dereferences the handle's consumer group when an
                             // OffsetFetch answer carries a coordinator error (NOT_COORDINATOR,
                             // COORDINATOR_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER: upstream issue #5040),
                             // and a handle without group.id has none: it crashes. With a group.id the
                             // handle has one; it never joins, subscribes or commits.
                             .defaults = {{"topic.metadata.refresh.interval.ms", "60000"},
                                          {"group.id", std::string(kOffsetsReaderGroupId)},
                                          {"enable.auto.commit", "false"}},
                             .statistics = true});
  impl_->requests = std::make_unique<rd::AdminRequests>(impl_->rk.get(), impl_->options.max_in_flight);
}

GroupClient::~GroupClient() {
  // Late answers are read first, so that as few requests as possible are outstanding when the handle
  // is destroyed (it fails those that are, which librdkafka handles; only its timeouts are broken).
  const size_t outstanding = impl_->requests->Outstanding();
  if (outstanding > 0 && !impl_->requests->Drain(Clock::now() + impl_->options.close_wait)) {
    spdlog::debug("kafka group client {}: destroyed with {} request(s) still outstanding",
                  impl_->options.client.client_id, impl_->requests->Outstanding());
  }
  impl_->requests.reset();
}

ListGroupsResult GroupClient::ListGroups() {
  auto result = impl_->ListGroupsUntil(impl_->Deadline());
  rd_kafka_poll(impl_->rk.get(), 0);
  return result;
}

ListGroupsResult GroupClient::Impl::ListGroupsUntil(Clock::time_point deadline) {
  ListGroupsResult result;
  bool answered = false;
  RunBounded(
      1, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, deadline,
      [&](size_t, const rd_kafka_AdminOptions_t* admin, rd_kafka_queue_t* queue) {
        rd_kafka_ListConsumerGroups(rk.get(), admin, queue);
      },
      [&](size_t, rd_kafka_event_t* event) {
        answered = true;
        if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
          result.kind = KindOf(rd_kafka_event_error(event));
          result.error =
              "list groups: " + Describe(rd_kafka_event_error(event), rd_kafka_event_error_string(event));
          return;
        }
        const auto* lists = rd_kafka_event_ListConsumerGroups_result(event);
        size_t n = 0;
        const rd_kafka_ConsumerGroupListing_t** valid = rd_kafka_ListConsumerGroups_result_valid(lists, &n);
        for (size_t i = 0; i < n; ++i) {
          result.groups.push_back(
              {.group_id = rd_kafka_ConsumerGroupListing_group_id(valid[i]),
               .state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupListing_state(valid[i])),
               .is_simple = rd_kafka_ConsumerGroupListing_is_simple_consumer_group(valid[i]) != 0});
        }
        const rd_kafka_error_t** errors = rd_kafka_ListConsumerGroups_result_errors(lists, &n);
        std::set<std::string> messages;  // every broker usually fails the same way: say it once
        for (size_t i = 0; i < n; ++i) {
          const ErrorKind kind = KindOf(rd_kafka_error_code(errors[i]));
          if (result.kind == ErrorKind::kNone || result.kind == ErrorKind::kUnsupported) result.kind = kind;
          messages.insert(Describe(rd_kafka_error_code(errors[i]), rd_kafka_error_string(errors[i])));
        }
        for (const auto& message : messages) {
          result.error += (result.error.empty() ? "list groups: " : "; ") + message;
        }
      });
  if (!answered) {
    result.kind = ErrorKind::kTimeout;
    result.error = "list groups: no answer within " + std::to_string(options.client.timeout.count()) + " ms";
  }
  std::ranges::sort(result.groups, {}, &GroupListing::group_id);
  // Only a clear answer changes what we believe about the cluster: every broker refused the API.
  if (result.groups.empty() && result.kind == ErrorKind::kUnsupported) {
    group_apis = GroupApis::kUnsupported;
  } else if (result.kind == ErrorKind::kNone || !result.groups.empty()) {
    group_apis = GroupApis::kSupported;
  }
  return result;
}

std::vector<GroupDescription> GroupClient::DescribeGroups(const std::vector<std::string>& group_ids) {
  Impl& impl = *impl_;
  const auto deadline = impl.Deadline();
  std::vector<GroupDescription> out(group_ids.size());
  for (size_t i = 0; i < group_ids.size(); ++i) out[i].group_id = group_ids[i];
  if (group_ids.empty()) return out;

  // DescribeConsumerGroups against a cluster that lacks it may never answer and can wedge the handle
  // (see LIBRDKAFKA-NOTES.md), so it is only sent once ListGroups showed the cluster has the group APIs.
  if (impl.group_apis == GroupApis::kUnknown) impl.ListGroupsUntil(deadline);
  if (impl.group_apis == GroupApis::kUnsupported) {
    for (auto& entry : out) {
      entry.kind = ErrorKind::kUnsupported;
      entry.error = "describe group: the cluster does not support the consumer group APIs (ListGroups)";
    }
    return out;
  }

  std::map<std::string, std::vector<size_t>> inputs_of;
  for (size_t i = 0; i < group_ids.size(); ++i) inputs_of[group_ids[i]].push_back(i);
  std::vector<std::vector<std::string>> batches;
  const size_t batch_size = std::max<size_t>(1, impl.options.describe_batch);
  for (const auto& [group, inputs] : inputs_of) {
    if (batches.empty() || batches.back().size() >= batch_size) batches.emplace_back();
    batches.back().push_back(group);
  }
  std::vector<bool> answered_group(group_ids.size(), false);

  auto fill = [&](const std::string& group, const std::function<void(GroupDescription&)>& set) {
    auto it = inputs_of.find(group);
    if (it == inputs_of.end()) return;
    for (size_t input : it->second) {
      set(out[input]);
      answered_group[input] = true;
    }
  };

  impl.RunBounded(
      batches.size(), RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, deadline,
      [&](size_t b, const rd_kafka_AdminOptions_t* admin, rd_kafka_queue_t* queue) {
        std::vector<const char*> names;
        for (const auto& group : batches[b]) names.push_back(group.c_str());
        rd_kafka_DescribeConsumerGroups(impl.rk.get(), names.data(), names.size(), admin, queue);
      },
      [&](size_t b, rd_kafka_event_t* event) {
        if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
          const std::string error =
              "describe group: " + Describe(rd_kafka_event_error(event), rd_kafka_event_error_string(event));
          for (const auto& group : batches[b]) {
            fill(group, [&](GroupDescription& entry) {
              entry.kind = KindOf(rd_kafka_event_error(event));
              entry.error = error;
            });
          }
          return;
        }
        size_t n = 0;
        const auto** groups = rd_kafka_DescribeConsumerGroups_result_groups(
            rd_kafka_event_DescribeConsumerGroups_result(event), &n);
        for (size_t g = 0; g < n; ++g) {
          const rd_kafka_ConsumerGroupDescription_t* description = groups[g];
          fill(rd_kafka_ConsumerGroupDescription_group_id(description), [&](GroupDescription& entry) {
            if (const rd_kafka_error_t* error = rd_kafka_ConsumerGroupDescription_error(description)) {
              entry.kind = KindOf(rd_kafka_error_code(error));
              entry.error =
                  "describe group: " + Describe(rd_kafka_error_code(error), rd_kafka_error_string(error));
              return;
            }
            entry.state =
                rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(description));
            const char* assignor = rd_kafka_ConsumerGroupDescription_partition_assignor(description);
            entry.assignor = assignor != nullptr ? assignor : "";
            const rd_kafka_Node_t* coordinator = rd_kafka_ConsumerGroupDescription_coordinator(description);
            entry.coordinator_id = coordinator != nullptr ? rd_kafka_Node_id(coordinator) : -1;
            entry.is_simple = rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(description) != 0;
            entry.members.clear();
            for (size_t m = 0; m < rd_kafka_ConsumerGroupDescription_member_count(description); ++m) {
              const rd_kafka_MemberDescription_t* member =
                  rd_kafka_ConsumerGroupDescription_member(description, m);
              GroupMember& member_out = entry.members.emplace_back();
              const char* member_id = rd_kafka_MemberDescription_consumer_id(member);
              const char* client_id = rd_kafka_MemberDescription_client_id(member);
              const char* host = rd_kafka_MemberDescription_host(member);
              member_out.member_id = member_id != nullptr ? member_id : "";
              member_out.client_id = client_id != nullptr ? client_id : "";
              member_out.host = host != nullptr ? host : "";
              if (const auto* assignment = rd_kafka_MemberDescription_assignment(member)) {
                member_out.assignment = RefsOf(rd_kafka_MemberAssignment_partitions(assignment));
              }
            }
            std::ranges::sort(entry.members, {}, &GroupMember::member_id);
          });
        }
      });

  for (size_t i = 0; i < out.size(); ++i) {
    if (answered_group[i]) continue;
    out[i].kind = ErrorKind::kTimeout;
    out[i].error =
        "describe group: no answer within " + std::to_string(impl.options.client.timeout.count()) + " ms";
  }
  rd_kafka_poll(impl.rk.get(), 0);
  return out;
}

void GroupClient::Impl::FetchOffsets(
    const std::vector<size_t>& which, const std::vector<std::string>& group_ids,
    const std::function<const rd_kafka_topic_partition_list_t*(size_t)>& list_of,
    Clock::time_point deadline,
    const std::function<void(size_t, const rd_kafka_group_result_t*, rd_kafka_event_t*)>& done,
    std::vector<bool>& answered) {
  // librdkafka 2.0.2 parses an OffsetFetch answer in time quadratic in its partition count (each
  // partition is looked up linearly in the list built so far): one request for 10,000 partitions cost
  // 165 ms of CPU on the mock, the same partitions in requests of 250 cost 9 ms. Long lists are split.
  struct Request {
    size_t group;
    const rd_kafka_topic_partition_list_t* list;
  };
  std::map<const rd_kafka_topic_partition_list_t*, std::vector<rd::PartitionListPtr>> chunks_of;
  std::vector<Request> requests;
  std::vector<size_t> expected(group_ids.size(), 0);
  for (size_t i : which) {
    const rd_kafka_topic_partition_list_t* list = list_of(i);
    if (list == nullptr || list->cnt <= static_cast<int>(kMaxPartitionsPerOffsetFetch)) {
      requests.push_back({i, list});
      ++expected[i];
      continue;
    }
    auto& chunks = chunks_of[list];
    if (chunks.empty()) {
      for (int first = 0; first < list->cnt; first += static_cast<int>(kMaxPartitionsPerOffsetFetch)) {
        const int last = std::min(list->cnt, first + static_cast<int>(kMaxPartitionsPerOffsetFetch));
        chunks.emplace_back(rd_kafka_topic_partition_list_new(last - first));
        for (int p = first; p < last; ++p) {
          rd_kafka_topic_partition_list_add(chunks.back().get(), list->elems[p].topic, list->elems[p].partition);
        }
      }
    }
    for (const auto& chunk : chunks) requests.push_back({i, chunk.get()});
    expected[i] += chunks.size();
  }
  std::vector<size_t> got(group_ids.size(), 0);
  RunBounded(
      requests.size(), RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, deadline,
      [&](size_t k, const rd_kafka_AdminOptions_t* admin, rd_kafka_queue_t* queue) {
        rd_kafka_ListConsumerGroupOffsets_t* request =
            rd_kafka_ListConsumerGroupOffsets_new(group_ids[requests[k].group].c_str(), requests[k].list);
        rd_kafka_ListConsumerGroupOffsets(rk.get(), &request, 1, admin, queue);
        rd_kafka_ListConsumerGroupOffsets_destroy(request);  // librdkafka copied it
      },
      [&](size_t k, rd_kafka_event_t* event) {
        const rd_kafka_group_result_t* group = nullptr;
        if (rd_kafka_event_error(event) == RD_KAFKA_RESP_ERR_NO_ERROR) {
          size_t n = 0;
          const auto** groups = rd_kafka_ListConsumerGroupOffsets_result_groups(
              rd_kafka_event_ListConsumerGroupOffsets_result(event), &n);
          if (n > 0) group = groups[0];
        }
        ++got[requests[k].group];
        done(requests[k].group, group, event);
      });
  for (size_t i : which) {
    if (got[i] == expected[i]) answered[i] = true;
  }
}

std::vector<GroupOffsets> GroupClient::FetchCommittedOffsets(const std::vector<std::string>& group_ids,
                                                             const std::vector<PartitionRef>& partitions) {
  return FetchCommittedOffsets(group_ids, partitions, {});
}

std::vector<GroupOffsets> GroupClient::FetchCommittedOffsets(
    const std::vector<std::string>& group_ids, const std::vector<PartitionRef>& partitions,
    const std::vector<std::vector<PartitionRef>>& hints) {
  if (!hints.empty() && hints.size() != group_ids.size()) {
    throw std::invalid_argument("committed offsets: " + std::to_string(hints.size()) + " hints for " +
                                std::to_string(group_ids.size()) + " groups (give none or one per group)");
  }
  Impl& impl = *impl_;
  const auto deadline = impl.Deadline();
  std::vector<GroupOffsets> out(group_ids.size());
  for (size_t i = 0; i < group_ids.size(); ++i) out[i].group_id = group_ids[i];
  if (group_ids.empty() || partitions.empty()) return out;

  std::set<std::pair<std::string, int32_t>> watched;
  std::map<std::string, std::vector<int32_t>> watched_by_topic;
  rd::PartitionListPtr explicit_list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const auto& ref : partitions) {
    if (watched.emplace(ref.topic, ref.partition).second) {
      rd_kafka_topic_partition_list_add(explicit_list.get(), ref.topic.c_str(), ref.partition);
      watched_by_topic[ref.topic].push_back(ref.partition);
    }
  }

  // The explicit list of each group: the hinted topics' watched partitions, or all of them when no
  // watched topic is hinted or the group's full sweep is due. Groups with the same hinted topics share
  // one list.
  std::unordered_map<std::string, size_t> hinted_calls;
  std::map<std::set<std::string>, rd::PartitionListPtr> lists_by_topics;
  std::vector<const rd_kafka_topic_partition_list_t*> list_of_group(group_ids.size(), explicit_list.get());
  const size_t sweep_every = std::max<size_t>(1, impl.options.full_sweep_every);
  const size_t watched_count = explicit_list->cnt > 0 ? static_cast<size_t>(explicit_list->cnt) : 1;
  for (size_t i = 0; i < group_ids.size() && !hints.empty(); ++i) {
    std::set<std::string> topics;
    for (const auto& ref : hints[i]) {
      if (watched_by_topic.contains(ref.topic)) topics.insert(ref.topic);
    }
    const rd_kafka_topic_partition_list_t* list = nullptr;
    size_t period = sweep_every;
    if (!topics.empty()) {
      auto& owned = lists_by_topics[topics];
      if (!owned) {
        owned.reset(rd_kafka_topic_partition_list_new(0));
        for (const auto& topic : topics) {
          for (int32_t partition : watched_by_topic[topic]) {
            rd_kafka_topic_partition_list_add(owned.get(), topic.c_str(), partition);
          }
        }
      }
      list = owned.get();
      // A sweep asks for every watched partition, a hinted call for the hinted ones: sweeping once in
      // watched/hinted calls costs about as much again as the hinted calls (10,000 watched partitions,
      // 150 hinted: every 66th call), within [sweep_every, kMaxSweepStretch x sweep_every].
      const size_t hinted = std::max<size_t>(1, static_cast<size_t>(list->cnt));
      period = std::clamp((watched_count + hinted - 1) / hinted, sweep_every, kMaxSweepStretch * sweep_every);
    }
    auto previous = impl.hinted_calls.find(group_ids[i]);
    const size_t since_full = previous == impl.hinted_calls.end() ? period : previous->second + 1;
    if (list == nullptr || since_full >= period || impl.all_partitions != AllPartitions::kBroken) {
      // Asked for everything (null list or full explicit list). The groups a client first sees together
      // would then sweep together every period-th call; a phase from the group's name spreads their
      // next (and so every later) sweep over the period.
      hinted_calls[group_ids[i]] =
          previous == impl.hinted_calls.end() ? std::hash<std::string>{}(group_ids[i]) % period : 0;
      continue;
    }
    hinted_calls[group_ids[i]] = since_full;
    list_of_group[i] = list;
  }
  impl.hinted_calls = std::move(hinted_calls);
  auto hinted_list = [&](size_t i) { return list_of_group[i]; };
  auto full_list = [&](size_t) -> const rd_kafka_topic_partition_list_t* { return explicit_list.get(); };
  auto all_list = [](size_t) -> const rd_kafka_topic_partition_list_t* { return nullptr; };

  std::vector<bool> answered(group_ids.size(), false);

  // Adds one answer (of possibly several requests of group i) to out[i]: its first error, or its
  // offsets. Returns whether the raw answer listed any partition.
  auto store = [&](size_t i, const rd_kafka_group_result_t* group, rd_kafka_event_t* event) {
    GroupOffsets& entry = out[i];
    auto fail = [&](ErrorKind kind, std::string error) {
      if (entry.error.empty()) {
        entry.kind = kind;
        entry.error = std::move(error);
      }
      return false;
    };
    if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return fail(KindOf(rd_kafka_event_error(event)),
                  "committed offsets: " + Describe(rd_kafka_event_error(event), rd_kafka_event_error_string(event)));
    }
    if (group == nullptr) return fail(ErrorKind::kOther, "committed offsets: the answer named no group");
    if (const rd_kafka_error_t* error = rd_kafka_group_result_error(group)) {
      return fail(KindOf(rd_kafka_error_code(error)),
                  "committed offsets: " + Describe(rd_kafka_error_code(error), rd_kafka_error_string(error)));
    }
    const rd_kafka_topic_partition_list_t* list = rd_kafka_group_result_partitions(group);
    const bool any = list != nullptr && list->cnt > 0;
    for (int p = 0; list != nullptr && p < list->cnt; ++p) {
      const rd_kafka_topic_partition_t& element = list->elems[p];
      const bool has_error = element.err != RD_KAFKA_RESP_ERR_NO_ERROR;
      // No commit (RD_KAFKA_OFFSET_INVALID): most of an explicit sweep's answer; skipped before the
      // lookup, which copies the topic name.
      if (element.offset < 0 && !has_error) continue;
      if (!watched.contains({element.topic, element.partition})) continue;
      entry.offsets.push_back({.topic = element.topic,
                               .partition = element.partition,
                               .offset = element.offset < 0 ? -1 : element.offset,
                               .error = has_error ? Describe(element.err, nullptr) : ""});
    }
    return any;
  };
  // Asks the groups of `which` (each with list_of(i)); out[i] is replaced by the answers: all their
  // offsets sorted, or none and the first error. on_answer(i, any) follows each stored answer.
  auto ask = [&](const std::vector<size_t>& which,
                 const std::function<const rd_kafka_topic_partition_list_t*(size_t)>& list_of,
                 const std::function<void(size_t, bool)>& on_answer) {
    for (size_t i : which) {
      out[i].offsets.clear();
      out[i].error.clear();
      out[i].kind = ErrorKind::kNone;
      answered[i] = false;
    }
    impl.FetchOffsets(
        which, group_ids, list_of, deadline,
        [&](size_t i, const rd_kafka_group_result_t* group, rd_kafka_event_t* event) {
          on_answer(i, store(i, group, event));
        },
        answered);
    for (size_t i : which) {
      if (!out[i].error.empty()) out[i].offsets.clear();
      std::ranges::sort(out[i].offsets, [](const auto& a, const auto& b) {
        return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
      });
    }
  };

  std::vector<size_t> all(group_ids.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  if (impl.all_partitions == AllPartitions::kBroken) {
    ask(all, hinted_list, [](size_t, bool) {});
  } else {
    // One request per group whatever the partition count: a null list means "all the group's offsets".
    std::vector<bool> any_answer(group_ids.size(), false);
    ask(all, all_list, [&](size_t i, bool any) {
      any_answer[i] = any_answer[i] || any;
      if (any) impl.all_partitions = AllPartitions::kWorks;
    });
    std::vector<size_t> recheck;
    if (impl.all_partitions == AllPartitions::kUnknown) {
      for (size_t i = 0; i < group_ids.size(); ++i) {
        // Nothing for "all": either the group has no commits or the cluster does not understand the
        // null list. The explicit list tells the two apart, and its answer is right in both cases.
        if (answered[i] && !any_answer[i] && out[i].error.empty()) recheck.push_back(i);
      }
    }
    if (!recheck.empty()) {
      ask(recheck, full_list, [](size_t, bool) {});
      bool explicit_has_commit = false;
      for (size_t i : recheck) {
        for (const auto& offset : out[i].offsets) explicit_has_commit |= offset.offset >= 0;
      }
      if (explicit_has_commit) {
        impl.all_partitions = AllPartitions::kBroken;
        spdlog::info(
            "kafka group client {}: the cluster answers OffsetFetch for all partitions with nothing; asking "
            "for the watched partitions explicitly from now on",
            impl.options.client.client_id);
      }
    }
  }

  for (size_t i = 0; i < out.size(); ++i) {
    if (answered[i]) continue;
    out[i].offsets.clear();
    out[i].kind = ErrorKind::kTimeout;
    out[i].error =
        "committed offsets: no answer within " + std::to_string(impl.options.client.timeout.count()) + " ms";
  }
  rd_kafka_poll(impl.rk.get(), 0);
  return out;
}

}  // namespace kpe::kafka
