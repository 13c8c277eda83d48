// The page's assets as the broker serves them from --web-dir: every file the
// bundler wrote, including code-split chunks whose names only it knows
// (chunk-<hash>.js, fetched by the page's import()), with its content type
// and the same caching and nosniff headers as the entry. Real broker on a
// free loopback port.
#include <gtest/gtest.h>

#include <string>

#include "tests/broker/test_apps.h"
#include "tests/support/broker_process.h"
#include "tests/support/http_client.h"
#include "tests/support/status_macros.h"
#include "tests/support/temp_dir.h"

namespace sluice::testing {
namespace {

constexpr char kChunk[] = "export function render(s) { return s; }\n";

TEST(PageAssetsTest, AChunkTheBundlerWroteIsServedLikeTheEntryScript) {
  TempDir web;
  web.Write("index.html", "<!doctype html><script type=module src=/app.js></script>");
  web.Write("app.js", "import('./chunk-Q3ZK7XJA.js');\n");
  web.Write("chunk-Q3ZK7XJA.js", kChunk);
  ASSERT_OK_AND_ASSIGN(auto broker,
                       BrokerProcess::Start(kStateApp, {"--web-dir", web.path().string()}));

  ASSERT_OK_AND_ASSIGN(HttpResponse entry, HttpGet(broker->port(), "/app.js", After(kStepTimeout)));
  ASSERT_OK_AND_ASSIGN(HttpResponse chunk,
                       HttpGet(broker->port(), "/chunk-Q3ZK7XJA.js?v=1", After(kStepTimeout)));
  EXPECT_EQ(chunk.status, 200);
  EXPECT_EQ(chunk.body, kChunk);
  EXPECT_EQ(chunk.Header("Content-Type"), "text/javascript; charset=utf-8");
  for (const char* header : {"Content-Type", "Cache-Control", "X-Content-Type-Options"}) {
    EXPECT_EQ(chunk.Header(header), entry.Header(header)) << header;
  }
  EXPECT_EQ(chunk.Header("X-Content-Type-Options"), "nosniff");
  ASSERT_OK_AND_ASSIGN(HttpResponse page, HttpGet(broker->port(), "/", After(kStepTimeout)));
  EXPECT_NE(page.Header("Content-Security-Policy").find("script-src 'self';"), std::string::npos)
      << "the page runs only its own scripts: " << page.Header("Content-Security-Policy");

  ASSERT_OK_AND_ASSIGN(HttpResponse missing,
                       HttpGet(broker->port(), "/chunk-NOTBUILT.js", After(kStepTimeout)));
  EXPECT_EQ(missing.status, 404);
}

}  // namespace
}  // namespace sluice::testing
