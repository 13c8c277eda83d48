// Caching: compute an expensive result once and reuse it.
//
//   st::cache_data: results shared by every session. One session computes,
//   every other gets its own copy out of a shared-memory arena (a memcpy for
//   flat data). Calling the cached function returns a value the caller owns:
//   changing it never reaches another call or another session.
//
//     Frame load(std::string path, int rows) { ... }
//     auto cached_load = st::cache_data(load, {.ttl = std::chrono::minutes(10)});
//     Frame f = cached_load("sales.csv", 1000);   // computed once per key
//
//   st::cache_resource: one object per worker process (a model, a pool),
//   returned by reference and never copied.
//
// The key is the function's identity (the place st::cache_data is called,
// the callable's type, the app build: rebuilding the app starts afresh) and
// its argument values (see sluice/cache_key.hpp for what can be hashed).
// Return values are stored as described in sluice/cache_value.hpp. Elements
// the function shows (st::text, st::markdown, ...) are stored with its
// entry and shown again on every hit; widgets and layout blocks cannot be
// used inside a cached function.
//
// Concurrency: when several sessions miss the same key at once, one
// computes and the others wait for its value (and take over if it dies).
// Call cached functions from the app's thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <sluice/cache_key.hpp>
#include <sluice/cache_value.hpp>
#include <sluice/column.hpp>
#include <source_location>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace st {

enum class CacheScope {
  global,   // every session shares the entries (the shared-memory arena)
  session,  // entries live in this session's worker and end with it
};

struct CacheDataOptions {
  std::chrono::milliseconds ttl{0};  // an entry expires this long after it was made; 0: never
  std::size_t max_entries = 0;       // most entries this function keeps; 0: no limit
  bool show_spinner = true;          // show a spinner on the page while a miss computes,
  std::string spinner_text;          // with this text; empty: "Running NAME(...)."
  CacheScope scope = CacheScope::global;
};

// Clears every st::cache_data entry of the app, in every session.
void cache_data_clear();

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

}  // namespace detail

// A cached function; see st::cache_data.
template <class F>
class CachedFunction {
 public:
  CachedFunction(F function, CacheDataOptions options, const std::source_location& where)
      : function_(std::move(function)),
        info_(detail::DescribeFunction(typeid(F), detail::AddressOf(function_), where, options)) {}

  // Calls the function, or returns a copy of the value it returned before
  // for equal arguments.
  template <class... A>
  auto operator()(A&&... args) const {
    using R = std::remove_cvref_t<
        std::invoke_result_t<const F&, decltype(detail::Unwrap(std::forward<A>(args)))...>>;
    static_assert(detail::RequireStorable<R>());
    Hasher key;
    detail::HashArguments(key, args...);
    Call<R, A...> call(function_, std::forward_as_tuple(std::forward<A>(args)...));
    detail::CallCached(info_, key, call);
    return std::move(*call.result);
  }

  // Forgets the entry for these arguments, in every session (no arguments:
  // every entry of this function).
  template <class... A>
  void clear(const A&... args) const {
    if constexpr (sizeof...(A) == 0) {
      detail::ClearCached(info_, nullptr);
    } else {
      Hasher key;
      detail::HashArguments(key, args...);
      detail::ClearCached(info_, &key);
    }
  }

  const std::string& name() const { return info_.name; }

 private:
  template <class R, class... A>
  struct Call final : detail::ValueOps {
    Call(const F& function, std::tuple<A&&...> args) : function(function), args(std::move(args)) {}

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
    bool Mappable() const noexcept override { return detail::ContainsColumn<R>(); }
    void Compute() override {
      result.emplace(std::apply(
          [this](auto&&... a) -> decltype(auto) {
            return std::invoke(function, detail::Unwrap(std::forward<decltype(a)>(a))...);
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

  F function_;
  detail::FunctionInfo info_;
};

// Wraps `function` so that calls with equal arguments compute once (see the
// top of this file). Keep the returned object (at namespace scope, or make
// it anew each run: the identity is where this line is, not the object).
template <class F>
CachedFunction<std::decay_t<F>> cache_data(
    F&& function, CacheDataOptions options = {},
    const std::source_location& where = std::source_location::current()) {
  return CachedFunction<std::decay_t<F>>(std::forward<F>(function), options, where);
}

// ---- cache_resource --------------------------------------------------------

namespace detail {

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

template <class T>
struct CacheResourceOptions {
  std::chrono::milliseconds ttl{0};  // rebuild the object this long after it was built; 0: never
  std::size_t max_entries = 0;       // most objects kept (one per argument set); 0: no limit
  std::function<bool(T&)> validate;  // checked on every call; false: rebuild
  bool preload = false;              // build in the zygote at startup (see cache_resource)
  bool show_spinner = true;
};

// A cached resource; see st::cache_resource.
template <class F>
class CachedResource {
 public:
  using T = std::remove_cvref_t<typename detail::Signature<F>::Result>;

  CachedResource(F factory, CacheResourceOptions<T> options, const std::source_location& where)
      : factory_(std::move(factory)),
        options_(std::move(options)),
        info_(detail::DescribeResource(typeid(F), detail::AddressOf(factory_), where, options_.ttl,
                                       options_.max_entries, options_.show_spinner)) {
    if (options_.preload) {
      if constexpr (detail::Signature<F>::kArity == 0) {
        detail::RegisterPreload(info_.name, [factory = factory_, info = info_] {
          Hasher no_arguments;
          detail::StoreResource(info, no_arguments, std::make_shared<T>(std::invoke(factory)));
        });
      } else {
        throw std::logic_error("st::cache_resource: .preload needs a factory without arguments");
      }
    }
  }

  // This process's object for these arguments, built on first use.
  template <class... A>
  T& operator()(A&&... args) const {
    Hasher key;
    detail::HashArguments(key, args...);
    if (std::shared_ptr<void> found = detail::FindResource(info_, key)) {
      T& object = *static_cast<T*>(found.get());
      if (!options_.validate || options_.validate(object)) return object;
      detail::DropResources(info_, &key);
    }
    std::shared_ptr<T> built;
    {
      detail::Spinner spinner(info_.name, options_.show_spinner);
      built = std::make_shared<T>(std::invoke(factory_, detail::Unwrap(std::forward<A>(args))...));
    }
    T& object = *built;
    detail::StoreResource(info_, key, std::move(built));
    return object;
  }

  // Drops the object for these arguments (none: every object) in this process.
  template <class... A>
  void clear(const A&... args) const {
    if constexpr (sizeof...(A) == 0) {
      detail::DropResources(info_, nullptr);
    } else {
      Hasher key;
      detail::HashArguments(key, args...);
      detail::DropResources(info_, &key);
    }
  }

 private:
  F factory_;
  CacheResourceOptions<T> options_;
  detail::ResourceInfo info_;
};

// Builds one object per worker process and argument set, and returns it by
// reference on every later call: never copied, shared by every run of the
// session. Without .preload each session's process builds its own. With
// .preload = true (a factory without arguments, declared at namespace scope
// so it exists when the app is loaded) it is built once in the zygote at
// startup, and every worker shares its memory copy-on-write: pages stay
// shared until a worker writes to them. Preloading makes the zygote bigger,
// which makes each fork a little slower (about 2 KiB per MiB it touched).
template <class F>
CachedResource<std::decay_t<F>> cache_resource(
    F&& factory, CacheResourceOptions<typename CachedResource<std::decay_t<F>>::T> options = {},
    const std::source_location& where = std::source_location::current()) {
  return CachedResource<std::decay_t<F>>(std::forward<F>(factory), std::move(options), where);
}

}  // namespace st
