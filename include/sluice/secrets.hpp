// Secrets the operator gave the server (a secrets.toml beside its config
// file, or --secrets FILE): database passwords, API keys. The file is read
// once, before any session starts; a session's code reads the values here
// and never needs (nor, sandboxed, is able) to open the file.
//
//   # secrets.toml
//   api_key = "..."
//   [db]
//   password = "..."
//
//   std::string_view key = st::secrets().at("api_key");
//   if (auto password = st::secrets().get("db.password")) connect(*password);
//
// Keys are the file's dotted paths: a value inside [db] is "db.password",
// inside [db.replica] it is "db.replica.password". Every value is a string.
// The view is read-only and the same for the whole life of the session; it
// is empty when the server has no secrets file. Secrets are never logged by
// sluice; what the app shows or logs is up to the app.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace st {

class Secrets {
 public:
  using Map = std::map<std::string, std::string, std::less<>>;

  // The value at `key`, or nullopt if the file has none.
  std::optional<std::string_view> get(std::string_view key) const {
    auto it = values_->find(key);
    if (it == values_->end()) return std::nullopt;
    return std::string_view(it->second);
  }
  // The value at `key`; throws std::out_of_range (naming the key, never a
  // value) if there is none, which the page shows like any app error.
  std::string_view at(std::string_view key) const {
    if (auto value = get(key)) return *value;
    throw std::out_of_range("st::secrets() has no key '" + std::string(key) + "'");
  }
  bool contains(std::string_view key) const { return values_->find(key) != values_->end(); }
  std::size_t size() const { return values_->size(); }
  bool empty() const { return values_->empty(); }
  // Every key, sorted.
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& [key, value] : *values_) out.push_back(key);
    return out;
  }

  explicit Secrets(const Map* values) : values_(values) {}  // made by sluice only

 private:
  const Map* values_;
};

// The server's secrets. Call from the app function, a callback, or a
// preload; the reference stays valid for the life of the process.
const Secrets& secrets();

}  // namespace st
