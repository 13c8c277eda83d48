// The WebSocket upgrade's Origin check (broker/origin_check.h) on its own:
// which Origin and Host pairs open a session and which are refused.
#include "broker/origin_check.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice::broker {
namespace {

const std::vector<std::string> kNone;

TEST(OriginCheckTest, RequestWithoutOriginIsAllowed) {
  EXPECT_EQ(CheckOrigin(std::nullopt, "127.0.0.1:8501", kNone), OriginVerdict::kNoOrigin);
  EXPECT_EQ(CheckOrigin(std::nullopt, "", kNone), OriginVerdict::kNoOrigin);
}

TEST(OriginCheckTest, SameHostAndPortIsAllowed) {
  EXPECT_EQ(CheckOrigin("http://127.0.0.1:8501", "127.0.0.1:8501", kNone),
            OriginVerdict::kSameOrigin);
  EXPECT_EQ(CheckOrigin("http://[::1]:8501", "[::1]:8501", kNone), OriginVerdict::kSameOrigin);
  EXPECT_EQ(CheckOrigin("http://dash.example.com:8080", "dash.example.com:8080", kNone),
            OriginVerdict::kSameOrigin);
}

TEST(OriginCheckTest, HostAndSchemeCaseDoNotMatter) {
  EXPECT_EQ(CheckOrigin("HTTP://Example.COM:8501", "example.com:8501", kNone),
            OriginVerdict::kSameOrigin);
  EXPECT_EQ(CheckOrigin("http://example.com:8501", "EXAMPLE.com:8501", kNone),
            OriginVerdict::kSameOrigin);
}

TEST(OriginCheckTest, DefaultPortsMatchAnOmittedPort) {
  // Origin "http://Example.com" is port 80, however Host writes it.
  EXPECT_EQ(CheckOrigin("http://Example.com", "example.com:80", kNone), OriginVerdict::kSameOrigin);
  EXPECT_EQ(CheckOrigin("http://example.com", "example.com", kNone), OriginVerdict::kSameOrigin);
  EXPECT_EQ(CheckOrigin("http://example.com:80", "example.com", kNone), OriginVerdict::kSameOrigin);
  // Behind a proxy that terminates TLS and passes Host on unchanged.
  EXPECT_EQ(CheckOrigin("https://example.com", "example.com", kNone), OriginVerdict::kSameOrigin);
  EXPECT_EQ(CheckOrigin("https://example.com", "example.com:443", kNone),
            OriginVerdict::kSameOrigin);
}

TEST(OriginCheckTest, OtherHostOrPortIsRefused) {
  EXPECT_EQ(CheckOrigin("http://evil.example", "127.0.0.1:8501", kNone), OriginVerdict::kRefused);
  EXPECT_EQ(CheckOrigin("http://127.0.0.1:9999", "127.0.0.1:8501", kNone), OriginVerdict::kRefused);
  EXPECT_EQ(CheckOrigin("http://example.com", "example.com:8080", kNone), OriginVerdict::kRefused);
  EXPECT_EQ(CheckOrigin("https://example.com", "example.com:80", kNone), OriginVerdict::kRefused);
  EXPECT_EQ(CheckOrigin("http://localhost:8501", "127.0.0.1:8501", kNone), OriginVerdict::kRefused);
  // A suffix or prefix of the host is another host.
  EXPECT_EQ(CheckOrigin("http://example.com.evil.example", "example.com", kNone),
            OriginVerdict::kRefused);
  EXPECT_EQ(CheckOrigin("http://ample.com", "example.com", kNone), OriginVerdict::kRefused);
}

TEST(OriginCheckTest, MalformedOriginOrHostIsRefused) {
  for (std::string_view origin :
       {"", "null", "example.com", "http://", "http://example.com/", "http://example.com/path",
        "http://user@example.com", "http://example.com:0", "http://example.com:65536",
        "http://example.com:80x", "http://exa mple.com", "://example.com", "http://[::1",
        "http://example.com:8501:1", "1http://example.com"}) {
    EXPECT_EQ(CheckOrigin(origin, "example.com:8501", kNone), OriginVerdict::kRefused) << origin;
  }
  EXPECT_EQ(CheckOrigin("http://example.com", "", kNone), OriginVerdict::kRefused);
  EXPECT_EQ(CheckOrigin("http://example.com", "example.com:", kNone), OriginVerdict::kRefused);
  EXPECT_EQ(CheckOrigin("http://example.com", "example.com@evil", kNone), OriginVerdict::kRefused);
}

TEST(OriginCheckTest, ListedOriginIsAllowed) {
  const std::vector<std::string> allowed = {"https://dashboards.example.com",
                                            "http://10.0.0.5:8080"};
  EXPECT_EQ(CheckOrigin("https://dashboards.example.com", "127.0.0.1:8501", allowed),
            OriginVerdict::kAllowed);
  EXPECT_EQ(CheckOrigin("https://Dashboards.Example.com:443", "127.0.0.1:8501", allowed),
            OriginVerdict::kAllowed);
  EXPECT_EQ(CheckOrigin("http://10.0.0.5:8080", "internal:8501", allowed), OriginVerdict::kAllowed);
  // The listed scheme and port are part of the origin.
  EXPECT_EQ(CheckOrigin("http://dashboards.example.com", "127.0.0.1:8501", allowed),
            OriginVerdict::kRefused);
  EXPECT_EQ(CheckOrigin("http://10.0.0.5", "127.0.0.1:8501", allowed), OriginVerdict::kRefused);
  EXPECT_EQ(CheckOrigin("https://evil.example", "127.0.0.1:8501", allowed),
            OriginVerdict::kRefused);
}

TEST(OriginCheckTest, StarAllowsEveryOrigin) {
  const std::vector<std::string> any = {"*"};
  EXPECT_TRUE(AllowsAnyOrigin(any));
  EXPECT_FALSE(AllowsAnyOrigin(kNone));
  EXPECT_EQ(CheckOrigin("http://evil.example", "127.0.0.1:8501", any), OriginVerdict::kAllowed);
  EXPECT_EQ(CheckOrigin("null", "127.0.0.1:8501", any), OriginVerdict::kAllowed);
}

TEST(OriginCheckTest, AllowedOriginEntriesAreValidated) {
  EXPECT_TRUE(ValidateAllowedOrigin("*").ok());
  EXPECT_TRUE(ValidateAllowedOrigin("https://example.com").ok());
  EXPECT_TRUE(ValidateAllowedOrigin("http://[::1]:8080").ok());
  for (std::string_view bad : {"", "example.com", "https://example.com/", "*.example.com",
                               "https://example.com/app", "https://"}) {
    absl::Status status = ValidateAllowedOrigin(bad);
    EXPECT_FALSE(status.ok()) << bad;
    EXPECT_NE(status.message().find("expected an origin like"), absl::string_view::npos);
  }
}

TEST(OriginCheckTest, ParsedOriginIsNormalised) {
  std::optional<WebOrigin> origin = ParseWebOrigin("HTTPS://Example.COM");
  ASSERT_TRUE(origin);
  EXPECT_EQ(origin->scheme, "https");
  EXPECT_EQ(origin->host, "example.com");
  EXPECT_EQ(origin->port, 443);
  origin = ParseWebOrigin("chrome-extension://abcdef");
  ASSERT_TRUE(origin);
  EXPECT_EQ(origin->port, -1);
}

}  // namespace
}  // namespace sluice::broker
