// The elements of the current and the last finished run that answer the
// page's queries (Query in page.capnp): a dataframe's rows, a download
// button's bytes. A target lives as long as the page may show its element:
// from the run that shows it until a finished run no longer does, so what a
// shown grid needs (its frame, its sort order) stays in the worker exactly
// that long.
//
// The id the page queries with is "<base>#<generation>". The base names the
// element much as widgets are named: by its kind and key, or by its kind,
// label and how many of that kind and label came before it in the run (the
// kind is in both, so one key on two kinds names two elements). The
// generation changes
// whenever what is shown there changes, so a query the page made for the
// old content is answered "gone" instead of with rows of the new one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "ipc/page.capnp.h"
#include "runtime/channel.h"
#include "runtime/containers.h"

namespace sluice::runtime {

// Sends the replies of one query (QueryReply in page.capnp).
class QueryReplies {
 public:
  QueryReplies(Channel& channel, const QueryCommand& query) : channel_(channel), query_(query) {}
  const QueryCommand& query() const { return query_; }

  // One reply whose payload `fill` writes into the builder.
  template <class Fill>
  void Send(Fill&& fill) {
    capnp::MallocMessageBuilder message;
    auto reply = Begin(message);
    fill(reply);
    channel_.Send(message);
  }
  void Error(std::string_view message);

 private:
  ipc::QueryReply::Builder Begin(capnp::MallocMessageBuilder& message);
  Channel& channel_;
  const QueryCommand& query_;
};

class QueryTarget {
 public:
  virtual ~QueryTarget() = default;
  // Answers `replies.query()`: every query gets at least one reply (an
  // error for a kind of query this target does not answer).
  virtual void Answer(QueryReplies& replies) = 0;
  // Whether a query may be answered at a check point inside a run (true
  // for pure reads); false defers it until the run ends (it runs app code).
  virtual bool AnswersDuringRun() const { return true; }
  // Whether `next`, shown in a later run under the same name, shows the
  // same content: then the page's id stays (so do its rows), and `next`
  // may take over what this one worked out (Inherit).
  virtual bool SameAs(const QueryTarget& next) const = 0;
  // Called on `next` when SameAs held: take what `before` computed (a sort
  // order) instead of computing it again.
  virtual void Inherit(QueryTarget& before) { (void)before; }
};

class QueryTargets {
 public:
  // Starts a run's list; the last finished run's targets stay queryable.
  void BeginRun();
  // Adds a target this run shows and returns the id the page queries it
  // with. `kind` and `label` name it when `key` is empty. Throws
  // std::invalid_argument when this run already used `key`.
  std::string Add(std::string_view kind, std::string_view label, std::string_view key,
                  std::shared_ptr<QueryTarget> target);
  // The element of the targets added since the last call was placed at
  // `path` (the runner says so for every element it places).
  void Placed(const Path& path);
  // The element at `path` is being replaced in this run (an st::empty()
  // slot set again): the targets placed at or under it are released, and
  // their keys are free again. Without this, a slot set a thousand times in
  // a run would hold a thousand charts' points until the run ends.
  void ForgetAt(const Path& path);
  // Ends a finished run: its targets replace the last run's; targets it did
  // not show are released.
  void FinishRun();

  // The target the page means by `id`, or null when that element (or that
  // content of it) is gone.
  std::shared_ptr<QueryTarget> Find(std::string_view id) const;

  std::size_t size() const { return current_.size() + previous_.size(); }

 private:
  struct Entry {
    std::uint64_t generation;
    std::shared_ptr<QueryTarget> target;
    Path path;  // where its element is (empty until Placed)
  };
  const Entry* Lookup(std::string_view base) const;

  absl::flat_hash_map<std::string, Entry> current_;
  absl::flat_hash_map<std::string, Entry> previous_;
  absl::flat_hash_map<std::string, int> ordinals_;  // kind:label -> count this run
  std::vector<std::string> unplaced_;               // bases added since the last Placed
  std::uint64_t next_generation_ = 1;
};

}  // namespace sluice::runtime
