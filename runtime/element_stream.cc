#include "runtime/element_stream.h"

#include <capnp/serialize.h>

#include <algorithm>

namespace sluice::runtime {

namespace {

bool HasPrefix(const Path& path, const Path& prefix) {
  return path.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

void SetPath(capnp::List<std::uint32_t>::Builder out, const Path& path) {
  for (std::size_t i = 0; i < path.size(); ++i) out.set(i, path[i]);
}

}  // namespace

ElementIdentity ContentIdentity(kj::ArrayPtr<const capnp::word> canonical) {
  auto bytes = canonical.asBytes();
  return {XXH3_128bits(bytes.begin(), bytes.size())};
}

std::shared_ptr<const CanonicalElement> Canonicalize(ipc::Element::Reader element,
                                                     std::optional<ElementIdentity> identity) {
  kj::Array<capnp::word> words = capnp::canonicalize(element);
  ElementIdentity id = identity ? *identity : ContentIdentity(words);
  return std::make_shared<const CanonicalElement>(CanonicalElement{std::move(words), id});
}

void ElementStream::BeginRun(std::uint64_t run_id) {
  run_id_ = run_id;
  started_sent_ = false;
  pending_.clear();
  pending_index_.clear();
  last_flush_ = std::chrono::steady_clock::now();
}

bool ElementStream::Shows(const Path& path, const ElementIdentity& identity) const {
  auto it = sent_.find(path);
  return it != sent_.end() && it->second == identity;
}

void ElementStream::Put(const Path& path, ipc::Element::Reader element,
                        std::optional<ElementIdentity> identity) {
  if (identity && Shows(path, *identity)) {
    // An unsent delta set between would leave another element there.
    DropPending(path);
    MaybeFlush();
    return;
  }
  Put(path, Canonicalize(element, identity));
}

void ElementStream::Put(const Path& path, std::shared_ptr<const CanonicalElement> element) {
  DropPending(path);
  if (!Shows(path, element->identity)) {
    // The page may rebuild a changed element without its children (columns
    // whose count changed, a block replaced by another kind), so whatever
    // this run puts inside it goes again, even if the page showed it before.
    // Children always come after their block in a run.
    ForgetChildren(path);
    pending_index_.emplace(path, pending_.size());
    pending_.push_back({path, std::move(element)});
  }
  MaybeFlush();
}

void ElementStream::DropPending(const Path& path) {
  auto it = pending_index_.lower_bound(path);
  while (it != pending_index_.end() && HasPrefix(it->first, path)) {
    pending_[it->second].element.reset();
    it = pending_index_.erase(it);
  }
  // A path set again and again with nothing between (a progress bar in a
  // loop) leaves no trail of dropped entries.
  while (!pending_.empty() && pending_.back().element == nullptr) pending_.pop_back();
}

void ElementStream::ForgetChildren(const Path& path) {
  auto it = sent_.upper_bound(path);
  while (it != sent_.end() && HasPrefix(it->first, path)) it = sent_.erase(it);
}

void ElementStream::MaybeFlush() {
  auto now = std::chrono::steady_clock::now();
  if (pending_index_.empty() || now - last_flush_ < stream_interval_) return;
  Flush(/*finished=*/false, nullptr);
}

void ElementStream::FlushNow() {
  if (!pending_index_.empty()) Flush(/*finished=*/false, nullptr);
}

void ElementStream::Finish(const std::vector<std::pair<Path, std::uint32_t>>& lengths) {
  Flush(/*finished=*/true, &lengths);
}

void ElementStream::Record(const Pending& delta) {
  sent_.insert_or_assign(delta.path, delta.element->identity);
}

void ElementStream::Trim(const Path& container, std::uint32_t length) {
  Path first_stale = container;
  first_stale.push_back(length);
  auto it = sent_.lower_bound(first_stale);
  while (it != sent_.end() && HasPrefix(it->first, container)) it = sent_.erase(it);
}

void ElementStream::Flush(bool finished,
                          const std::vector<std::pair<Path, std::uint32_t>>* lengths) {
  capnp::MallocMessageBuilder message;
  auto run = message.initRoot<ipc::ServerMessage>().initRun();
  run.setRunId(run_id_);
  run.setStarted(!started_sent_);
  run.setFinished(finished);
  auto deltas = run.initDeltas(static_cast<unsigned>(pending_index_.size()));
  unsigned out = 0;
  for (const Pending& pending : pending_) {
    if (pending.element == nullptr) continue;  // set again later in the list
    SetPath(deltas[out].initPath(static_cast<unsigned>(pending.path.size())), pending.path);
    deltas[out].setElement(
        capnp::readMessageUnchecked<ipc::Element>(pending.element->words.begin()));
    Record(pending);
    ++out;
  }
  if (lengths != nullptr) {
    auto out = run.initLengths(static_cast<unsigned>(lengths->size()));
    for (std::size_t i = 0; i < lengths->size(); ++i) {
      const auto& [path, length] = (*lengths)[i];
      SetPath(out[i].initPath(static_cast<unsigned>(path.size())), path);
      out[i].setLength(length);
      Trim(path, length);
    }
  }
  channel_.Send(message);
  pending_.clear();
  pending_index_.clear();
  started_sent_ = true;
  last_flush_ = std::chrono::steady_clock::now();
}

}  // namespace sluice::runtime
