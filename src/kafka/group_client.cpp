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

// Sorted by (topic, partition), one entry per partition.
void SortUnique(std::vector<CommittedOffset>& offsets) {
  auto key = [](const CommittedOffset& o) { return std::tie(o.topic, o.partition); };
  std::ranges::sort(offsets, [&](const auto& a, const auto& b) { return key(a) < key(b); });
  const auto [first, last] = std::ranges::unique(offsets, [&](const auto& a, const auto& b) { return key(a) == key(b); });
  offsets.erase(first, last);
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

// How far beyond full_sweep_every a group whose hinted partitions are few among the watched ones may
// stretch its rolling sweep.
constexpr size_t kMaxSweepStretch = 8;
// A group's explicit-list state is dropped when it was not asked for this long.
constexpr auto kForgetGroupReadAfter = std::chrono::hours(1);

// Positions in a call's watched list: the partitions one request (or one group's call) asks for.
using Indices = std::vector<uint32_t>;

}  // namespace

struct GroupClient::Impl {
  GroupClientOptions options;
  rd::Handle rk;
  std::unique_ptr<rd::AdminRequests> requests;  // after rk: its queue is destroyed before the handle
  GroupApis group_apis = GroupApis::kUnknown;
  AllPartitions all_partitions = AllPartitions::kUnknown;
  // Per group, on clusters that need explicit lists: the next slice of its rolling sweep, and the
  // topics a first read found commits on when its second round did not answer (asked again next call
  // even without a hint). Kept across calls a group is not part of (adaptive sampling asks only the
  // due groups); dropped after kForgetGroupReadAfter without a call.
  struct GroupRead {
    size_t next_slice = 0;
    std::vector<std::string> found_topics;
    Clock::time_point last_asked;
  };
  std::unordered_map<std::string, GroupRead> reads;

  uint64_t reopens = 0;

  Clock::time_point Deadline() const { return Clock::now() + options.client.timeout; }

  // A new handle and request tracker (the old ones, if any, are destroyed first).
  void Open();
  // Replaces a wedged handle (see GroupClientOptions::reopen_after). Called after each call.
  void ReopenIfWedged();

  // See rd::AdminRequests::Run.
  std::vector<bool> RunBounded(size_t count, rd_kafka_admin_op_t op, Clock::time_point deadline,
                               const rd::AdminRequests::Start& start,
                               const rd::AdminRequests::OnResult& on_result) {
    return requests->Run(count, op, deadline, start, on_result);
  }

  ListGroupsResult ListGroupsUntil(Clock::time_point deadline);
  void FetchOffsets(
      const std::vector<size_t>& which, const std::vector<std::string>& group_ids,
      const std::vector<PartitionRef>& watched, const std::function<const Indices*(size_t)>& list_of,
      Clock::time_point deadline,
      const std::function<void(size_t, const rd_kafka_group_result_t*, rd_kafka_event_t*)>& done,
      std::vector<bool>& answered);
};

GroupClient::GroupClient(GroupClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  const ClientOptions& opts = impl_->options.client;
  if (opts.servers.empty()) throw std::invalid_argument("kafka group client: no bootstrap servers");

  impl_->Open();
}

void GroupClient::Impl::Open() {
  requests.reset();
  rk = {};
  rk = rd::NewHandle(RD_KAFKA_CONSUMER, options.client,
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
  requests = std::make_unique<rd::AdminRequests>(rk.get(), options.max_in_flight);
}

void GroupClient::Impl::ReopenIfWedged() {
  if (options.reopen_after.count() <= 0 || !requests->Full()) return;
  const auto silent = Clock::now() - requests->LastAnswer();
  if (silent < options.reopen_after) return;
  const size_t outstanding = requests->Outstanding();
  const auto started = Clock::now();
  Open();
  ++reopens;
  spdlog::warn(
      "kafka group client {}: {} requests unanswered and no answer for {} s: replaced the client with a "
      "new one (replacing it took {} ms)",
      options.client.client_id, outstanding, std::chrono::duration_cast<std::chrono::seconds>(silent).count(),
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
}

uint64_t GroupClient::Reopens() const { return impl_->reopens; }

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
  impl_->ReopenIfWedged();
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
  impl.ReopenIfWedged();
  return out;
}

void GroupClient::Impl::FetchOffsets(
    const std::vector<size_t>& which, const std::vector<std::string>& group_ids,
    const std::vector<PartitionRef>& watched, const std::function<const Indices*(size_t)>& list_of,
    Clock::time_point deadline,
    const std::function<void(size_t, const rd_kafka_group_result_t*, rd_kafka_event_t*)>& done,
    std::vector<bool>& answered) {
  // librdkafka 2.0.2 parses an OffsetFetch answer in time quadratic in its partition count (each
  // partition is looked up linearly in the list built so far): one request for 10,000 partitions cost
  // 165 ms of CPU on the mock, the same partitions in requests of 250 cost 9 ms. Long lists are split,
  // and each request's librdkafka list is built only when it is sent.
  struct Request {
    size_t group;
    const Indices* list;  // nullptr: all partitions
    size_t first = 0, last = 0;
  };
  const size_t per_request = std::max<size_t>(1, options.partitions_per_request);
  std::vector<Request> requests;
  std::vector<size_t> expected(group_ids.size(), 0);
  for (size_t i : which) {
    const Indices* list = list_of(i);
    if (list == nullptr) {
      requests.push_back({i, nullptr});
      ++expected[i];
      continue;
    }
    // An empty list asks for nothing (librdkafka would send it as "all"): answered with no offsets.
    for (size_t first = 0; first < list->size(); first += per_request) {
      requests.push_back({i, list, first, std::min(list->size(), first + per_request)});
      ++expected[i];
    }
  }
  std::vector<size_t> got(group_ids.size(), 0);
  RunBounded(
      requests.size(), RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, deadline,
      [&](size_t k, const rd_kafka_AdminOptions_t* admin, rd_kafka_queue_t* queue) {
        const Request& r = requests[k];
        rd::PartitionListPtr list;
        if (r.list != nullptr) {
          list.reset(rd_kafka_topic_partition_list_new(static_cast<int>(r.last - r.first)));
          for (size_t j = r.first; j < r.last; ++j) {
            const PartitionRef& ref = watched[(*r.list)[j]];
            rd_kafka_topic_partition_list_add(list.get(), ref.topic.c_str(), ref.partition);
          }
        }
        rd_kafka_ListConsumerGroupOffsets_t* request =
            rd_kafka_ListConsumerGroupOffsets_new(group_ids[r.group].c_str(), list.get());
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
    const std::vector<std::vector<std::string>>& hints) {
  if (!hints.empty() && hints.size() != group_ids.size()) {
    throw std::invalid_argument("committed offsets: " + std::to_string(hints.size()) + " hints for " +
                                std::to_string(group_ids.size()) + " groups (give none or one per group)");
  }
  Impl& impl = *impl_;
  const auto now = Clock::now();
  const auto deadline = now + impl.options.client.timeout;
  std::vector<GroupOffsets> out(group_ids.size());
  for (size_t i = 0; i < group_ids.size(); ++i) out[i].group_id = group_ids[i];
  if (group_ids.empty() || partitions.empty()) return out;

  // The watched list (duplicates dropped, input order), and its positions by topic.
  std::vector<PartitionRef> refs;
  std::set<std::pair<std::string, int32_t>> watched;
  std::map<std::string, Indices> of_topic;
  refs.reserve(partitions.size());
  for (const auto& ref : partitions) {
    if (watched.emplace(ref.topic, ref.partition).second) {
      of_topic[ref.topic].push_back(static_cast<uint32_t>(refs.size()));
      refs.push_back(ref);
    }
  }
  Indices full(refs.size());
  for (size_t j = 0; j < full.size(); ++j) full[j] = static_cast<uint32_t>(j);
  auto all_list = [](size_t) -> const Indices* { return nullptr; };

  // Explicit lists (clusters that do not answer "all partitions"). Without hints, or when the watched
  // list fits in one request, every group is asked for all of it. Otherwise a group is asked for the
  // watched partitions of the topics it committed on before (hinted, or found by its last read) plus
  // one slice of a rolling sweep over the watched list, so a commit on any other topic is found within
  // one sweep and every call costs about the same. A group with no such topic is first asked for one
  // partition of each watched topic (plus its slice), then, in the same call, for every partition of
  // the topics where that found a commit.
  const size_t per_request = std::max<size_t>(1, impl.options.partitions_per_request);
  const bool rolling = !hints.empty() && refs.size() > per_request;
  const size_t sweep_every = std::max<size_t>(1, impl.options.full_sweep_every);
  Indices probe;  // the first watched partition of each watched topic
  std::vector<bool> is_probe(rolling ? refs.size() : 0, false);
  if (rolling) {
    for (const auto& [topic, positions] : of_topic) {
      probe.push_back(positions.front());
      is_probe[positions.front()] = true;
    }
    std::erase_if(impl.reads, [&](const auto& entry) { return now - entry.second.last_asked > kForgetGroupReadAfter; });
  }
  std::vector<Indices> own(group_ids.size());
  std::vector<bool> probed(group_ids.size(), false);
  auto plan = [&](size_t i) {
    Impl::GroupRead& read = impl.reads[group_ids[i]];
    read.last_asked = now;
    std::set<std::string> topics;
    for (const auto& topic : hints[i]) {
      if (of_topic.contains(topic)) topics.insert(topic);
    }
    for (const auto& topic : read.found_topics) {
      if (of_topic.contains(topic)) topics.insert(topic);
    }
    Indices& list = own[i];
    list.clear();
    probed[i] = topics.empty();
    if (probed[i]) {
      list = probe;
    } else {
      for (const auto& topic : topics) list.insert(list.end(), of_topic[topic].begin(), of_topic[topic].end());
    }
    // Sweeping the whole watched list once in watched/asked calls costs about as much again as the
    // asked partitions, within [full_sweep_every, kMaxSweepStretch x full_sweep_every] calls. When
    // that would need one request more than the asked partitions alone, the slice shrinks to the room
    // left in their last request, down to half that size (sweeps up to twice as long): each request
    // costs a round trip and, beyond ten groups, a FindCoordinator. 10,000 watched, 150 hinted, 250
    // per request: slices of 100, the whole list every 100th call, one request per call.
    const size_t asked = std::max<size_t>(1, list.size());
    const size_t period = std::clamp((refs.size() + asked - 1) / asked, sweep_every, kMaxSweepStretch * sweep_every);
    size_t slice = (refs.size() + period - 1) / period;
    const size_t room = list.size() % per_request == 0 ? 0 : per_request - list.size() % per_request;
    const size_t longest = 2 * kMaxSweepStretch * sweep_every;
    if (slice > room && room > 0 && room >= (refs.size() + longest - 1) / longest) slice = room;
    const size_t slices = (refs.size() + slice - 1) / slice;
    const size_t s = read.next_slice % slices;
    read.next_slice = (s + 1) % slices;
    for (size_t j = s * slice; j < std::min(refs.size(), (s + 1) * slice); ++j) {
      if (probed[i] ? !is_probe[j] : !topics.contains(refs[j].topic)) list.push_back(static_cast<uint32_t>(j));
    }
  };

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
    if (any) {
      // Sized once for what can be stored (grown by doubling, 75,000 answers held up to twice their size).
      size_t storable = 0;
      for (int p = 0; p < list->cnt; ++p) {
        storable += list->elems[p].offset >= 0 || list->elems[p].err != RD_KAFKA_RESP_ERR_NO_ERROR;
      }
      entry.offsets.reserve(entry.offsets.size() + storable);
    }
    for (int p = 0; list != nullptr && p < list->cnt; ++p) {
      const rd_kafka_topic_partition_t& element = list->elems[p];
      const bool has_error = element.err != RD_KAFKA_RESP_ERR_NO_ERROR;
      // No commit (RD_KAFKA_OFFSET_INVALID): most of an explicit sweep's answer; skipped before the
      // lookup, which copies the topic name.
      if (element.offset < 0 && !has_error) continue;
      if (!watched.contains({element.topic, element.partition})) continue;
      // Answers come topic by topic: one name lookup per topic, not per partition.
      const bool same_topic = !entry.offsets.empty() && entry.offsets.back().topic.get() == element.topic;
      entry.offsets.push_back({.topic = same_topic ? entry.offsets.back().topic : util::InternedString(element.topic),
                               .partition = element.partition,
                               .offset = element.offset < 0 ? -1 : element.offset,
                               .error = has_error ? Describe(element.err, nullptr) : ""});
    }
    return any;
  };
  // Asks the groups of `which` (each with list_of(i)); out[i] is replaced by the answers: all their
  // offsets sorted, or none and the first error. on_answer(i, any) follows each stored answer.
  auto ask = [&](const std::vector<size_t>& which, const std::function<const Indices*(size_t)>& list_of,
                 const std::function<void(size_t, bool)>& on_answer) {
    for (size_t i : which) {
      out[i].offsets.clear();
      out[i].error.clear();
      out[i].kind = ErrorKind::kNone;
      answered[i] = false;
    }
    impl.FetchOffsets(
        which, group_ids, refs, list_of, deadline,
        [&](size_t i, const rd_kafka_group_result_t* group, rd_kafka_event_t* event) {
          on_answer(i, store(i, group, event));
        },
        answered);
    for (size_t i : which) {
      if (!out[i].error.empty()) out[i].offsets.clear();
      SortUnique(out[i].offsets);
    }
  };

  // Asks the groups of `which` with explicit lists (see above): one round, and a second for the groups
  // whose first read found topics to ask for whole.
  auto ask_explicitly = [&](const std::vector<size_t>& which) {
    if (!rolling) {
      ask(which, [&](size_t) { return &full; }, [](size_t, bool) {});
      return;
    }
    for (size_t i : which) plan(i);
    ask(which, [&](size_t i) { return &own[i]; }, [](size_t, bool) {});
    std::vector<size_t> second;
    std::map<size_t, std::vector<CommittedOffset>> first_answer;
    for (size_t i : which) {
      if (!probed[i] || !answered[i] || !out[i].error.empty()) continue;
      std::set<std::string> found;
      for (const auto& offset : out[i].offsets) found.insert(offset.topic);
      if (found.empty()) continue;
      Indices& list = own[i];
      list.clear();
      for (const auto& topic : found) list.insert(list.end(), of_topic[topic].begin(), of_topic[topic].end());
      impl.reads[group_ids[i]].found_topics.assign(found.begin(), found.end());
      first_answer[i] = std::move(out[i].offsets);
      second.push_back(i);
    }
    if (second.empty()) return;
    ask(second, [&](size_t i) { return &own[i]; }, [](size_t, bool) {});
    for (size_t i : second) {
      if (!answered[i] || !out[i].error.empty()) continue;  // found_topics are asked next call
      auto& offsets = out[i].offsets;
      auto& first = first_answer[i];
      offsets.insert(offsets.end(), std::make_move_iterator(first.begin()), std::make_move_iterator(first.end()));
      SortUnique(offsets);
      impl.reads[group_ids[i]].found_topics.clear();
    }
  };

  // One request per group whatever the partition count: a null list means "all the group's offsets".
  // While the client has not learned which kind of cluster it talks to, groups answered with nothing
  // are asked again explicitly (see the header).
  auto ask_all = [&](const std::vector<size_t>& which) {
    std::vector<bool> any_answer(group_ids.size(), false);
    ask(which, all_list, [&](size_t i, bool any) {
      any_answer[i] = any_answer[i] || any;
      if (any) impl.all_partitions = AllPartitions::kWorks;
    });
    if (impl.all_partitions != AllPartitions::kUnknown) return;
    std::vector<size_t> recheck;
    for (size_t i : which) {
      // Nothing for "all": either the group has no commits or the cluster does not understand the
      // null list. The explicit list tells the two apart, and its answer is right in both cases.
      if (answered[i] && !any_answer[i] && out[i].error.empty()) recheck.push_back(i);
    }
    if (recheck.empty()) return;
    ask_explicitly(recheck);
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
  };

  std::vector<size_t> all(group_ids.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  if (impl.all_partitions == AllPartitions::kBroken) {
    ask_explicitly(all);
  } else if (impl.all_partitions == AllPartitions::kWorks) {
    ask_all(all);
  } else {
    // Learning on a few groups first (as many as fit in flight): asking hundreds of groups for "all"
    // before any explicit recheck would use the whole deadline on a slow cluster that needs lists,
    // and the client would never learn it. The rest follow in the same call, the learned way.
    const size_t pilots = std::min(all.size(), std::max<size_t>(1, impl.options.max_in_flight));
    const std::vector<size_t> pilot(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(pilots));
    const std::vector<size_t> rest(all.begin() + static_cast<std::ptrdiff_t>(pilots), all.end());
    ask_all(pilot);
    if (!rest.empty()) {
      if (impl.all_partitions == AllPartitions::kBroken) {
        ask_explicitly(rest);
      } else {
        ask_all(rest);
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
  impl.ReopenIfWedged();
  return out;
}

}  // namespace kpe::kafka
