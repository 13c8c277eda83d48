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

#include <cstddef>
#include <functional>
#include <memory>
#include <sluice/cache_key.hpp>
#include <sluice/cache_options.hpp>
#include <sluice/cache_value.hpp>
#include <sluice/column.hpp>
#include <sluice/internal/cache.hpp>
#include <source_location>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace st {

// Clears every st::cache_data entry of the app, in every session.
void cache_data_clear();

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
    detail::CachedCall<F, R, A...> call(function_, std::forward_as_tuple(std::forward<A>(args)...));
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
