// Per-session values that survive reruns (and only live in this session's
// worker process). Values are typed: reading a key as another type than it
// holds throws st::StateTypeError.
//
//   int& clicks = st::session_state().get<int>("clicks", 0);
//   if (st::button("Add one")) ++clicks;
#pragma once

#include <any>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>

namespace st {

class StateTypeError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

class SessionState {
 public:
  // The value at `key`, first set to `init` if absent. The reference stays
  // valid until the key is erased or assigned.
  template <class T>
  T& get(std::string_view key, T init = T{}) {
    std::any& slot = slot_or_insert(key, [&] { return std::any(std::move(init)); });
    if (T* value = std::any_cast<T>(&slot)) return *value;
    throw_type_error(key, slot, typeid(T));
  }

  template <class T>
  void set(std::string_view key, T value) {
    assign(key, std::any(std::move(value)));
  }

  bool contains(std::string_view key) const { return values_.find(key) != values_.end(); }
  // Returns whether the key was present.
  bool erase(std::string_view key) {
    auto it = values_.find(key);
    if (it == values_.end()) return false;
    values_.erase(it);
    return true;
  }

  // session_state()["k"] = 3; reads go through get<T>().
  class Entry {
   public:
    template <class T>
    Entry& operator=(T value) {
      owner_->set(key_, std::move(value));
      return *this;
    }
    template <class T>
    T& as() {
      return owner_->get<T>(key_);
    }

   private:
    friend class SessionState;
    Entry(SessionState* owner, std::string key) : owner_(owner), key_(std::move(key)) {}
    SessionState* owner_;
    std::string key_;
  };
  Entry operator[](std::string_view key) { return Entry(this, std::string(key)); }

  // Untyped access, used by widgets bound to keys.
  std::any* find(std::string_view key) {
    auto it = values_.find(key);
    return it == values_.end() ? nullptr : &it->second;
  }
  void assign(std::string_view key, std::any value) {
    values_.insert_or_assign(std::string(key), std::move(value));
  }

 private:
  template <class Make>
  std::any& slot_or_insert(std::string_view key, Make make) {
    if (std::any* found = find(key)) return *found;
    assign(key, make());
    return *find(key);
  }
  [[noreturn]] static void throw_type_error(std::string_view key, const std::any& held,
                                            const std::type_info& wanted);
  std::map<std::string, std::any, std::less<>> values_;
};

SessionState& session_state();

}  // namespace st
