// App authors need not read this file: sluice internals behind <sluice/cache.hpp>.
// Templates there need it in view of the compiler; it may change in any release.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <sluice/cache_key.hpp>
#include <sluice/cache_options.hpp>
#include <sluice/cache_value.hpp>
#include <sluice/column.hpp>
#include <source_location>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace st {
namespace detail {

// What the runtime knows of one cached function. Its identity is the same in
// every process of one build of the app.
struct FunctionInfo {
  std::uint64_t id_low = 0;
  std::uint64_t id_high = 0;
  std::string name;  // the function's name if the app exports it, else where it is
  std::string spinner_text;
  CacheDataOptions options;
};
FunctionInfo DescribeFunction(const std::type_info& type, const void* function,
                              const std::source_location& where, const CacheDataOptions& options);

// The typed half of a call, implemented by CachedFunction for the runtime.
class ValueOps {
 public:
  // A hit: read the value out of `bytes` (untrusted; false if unreadable).
  // With a `mapping`, the bytes are this process's private mapping of the
  // entry, which columns may keep (sluice/column.hpp).
  virtual bool Decode(std::span<const std::byte> bytes,
                      const std::shared_ptr<void>& mapping) noexcept = 0;
  // Whether the value holds an st::Column, so that a hit may map it.
  virtual bool Mappable() const noexcept = 0;
  // Whether what Decode keeps of a mapping is read-only (a frame, not an
  // st::Column), so one mapping may serve every hit of the entry.
  virtual bool MappingShareable() const noexcept = 0;
  // A miss: run the function and keep its result.
  virtual void Compute() = 0;
  // The kept result, encoded: its size, then the bytes.
  virtual std::size_t EncodedSize() = 0;
  virtual void Encode(std::span<std::byte> out) = 0;

 protected:
  ~ValueOps() = default;
};

// Looks the call up (function + `args`); on a hit `ops` decodes it and its
// elements are shown again, on a miss `ops` computes it and it is stored.
void CallCached(const FunctionInfo& function, const Hasher& args, ValueOps& ops);
// Removes the entry for `args`, or every entry of the function (null args).
void ClearCached(const FunctionInfo& function, const Hasher* args);

template <class A>
decltype(auto) Unwrap(A&& arg) {
  if constexpr (kIsUnhashed<std::remove_cvref_t<A>>) {
    return std::forward<decltype(arg.value)>(arg.value);
  } else {
    return std::forward<A>(arg);
  }
}

template <class T>
void HashArgument(Hasher& hasher, const T& arg) {
  if constexpr (!kIsUnhashed<T>) {
    static_assert(RequireHashable<T>());
    hasher.add(arg);
  }
}

template <class... A>
void HashArguments(Hasher& hasher, const A&... args) {
  (HashArgument(hasher, args), ...);
}

template <class F>
const void* AddressOf(const F& f) {
  if constexpr (std::is_pointer_v<F> && std::is_function_v<std::remove_pointer_t<F>>) {
    return reinterpret_cast<const void*>(f);
  } else {
    return nullptr;
  }
}

// One call of a CachedFunction<F> with arguments A and result R, as the
// runtime drives it (ValueOps).
template <class F, class R, class... A>
struct CachedCall final : ValueOps {
  CachedCall(const F& function, std::tuple<A&&...> args)
      : function(function), args(std::move(args)) {}

  bool Decode(std::span<const std::byte> bytes,
              const std::shared_ptr<void>& mapping) noexcept override {
    try {
      ValueReader in(bytes, mapping);
      R& value = result.emplace();
      if (detail::Decode(in, value) && in.at_end()) return true;
    } catch (...) {
      // Damaged or changed bytes can ask for absurd sizes: a miss.
    }
    result.reset();
    return false;
  }
  bool Mappable() const noexcept override { return ContainsColumn<R>(); }
  bool MappingShareable() const noexcept override { return detail::MappingShareable<R>(); }
  void Compute() override {
    result.emplace(std::apply(
        [this](auto&&... a) -> decltype(auto) {
          return std::invoke(function, Unwrap(std::forward<decltype(a)>(a))...);
        },
        std::move(args)));
  }
  std::size_t EncodedSize() override {
    ValueWriter measure;
    detail::Encode(measure, *result);
    return measure.size();
  }
  void Encode(std::span<std::byte> out) override {
    ValueWriter writer(out);
    detail::Encode(writer, *result);
  }

  const F& function;
  std::tuple<A&&...> args;
  std::optional<R> result;
};

struct ResourceInfo {
  std::uint64_t id_low = 0;
  std::uint64_t id_high = 0;
  std::string name;
  std::chrono::milliseconds ttl{0};
  std::size_t max_entries = 0;
  bool show_spinner = true;
};
ResourceInfo DescribeResource(const std::type_info& type, const void* function,
                              const std::source_location& where, std::chrono::milliseconds ttl,
                              std::size_t max_entries, bool show_spinner);

// This process's object for (resource, args), or null if there is none or it
// expired (an expired one is dropped).
std::shared_ptr<void> FindResource(const ResourceInfo& resource, const Hasher& args);
void StoreResource(const ResourceInfo& resource, const Hasher& args, std::shared_ptr<void> object);
// Drops the object for `args`, or every object of the resource (null).
void DropResources(const ResourceInfo& resource, const Hasher* args);
// Runs `build` in the zygote before the first worker is forked.
void RegisterPreload(std::string name, std::function<void()> build);

// Shows the spinner for a function computing on a miss, while alive.
class Spinner {
 public:
  explicit Spinner(const std::string& name, bool show);
  ~Spinner();
  Spinner(const Spinner&) = delete;
  Spinner& operator=(const Spinner&) = delete;

 private:
  bool shown_ = false;
};

template <class F>
struct Signature : Signature<decltype(&F::operator())> {};
template <class R, class... A>
struct Signature<R (*)(A...)> {
  using Result = R;
  static constexpr std::size_t kArity = sizeof...(A);
};
template <class R, class... A>
struct Signature<R(A...)> : Signature<R (*)(A...)> {};
template <class C, class R, class... A>
struct Signature<R (C::*)(A...) const> : Signature<R (*)(A...)> {};
template <class C, class R, class... A>
struct Signature<R (C::*)(A...)> : Signature<R (*)(A...)> {};

}  // namespace detail
}  // namespace st
