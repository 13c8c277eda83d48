// ipc::NewText / ipc::ViewOf: a string goes into a message and comes back
// out of its encoded bytes exactly, whatever bytes it holds and wherever it
// ends.
#include "ipc/text.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <stdexcept>
#include <string>
#include <string_view>

#include "ipc/page.capnp.h"

namespace sluice::ipc {
namespace {

// `text` set as an element's text field, encoded, and read back.
std::string RoundTrip(std::string_view text) {
  capnp::MallocMessageBuilder builder;
  auto element = builder.initRoot<Element>();
  element.adoptText(NewText(element, text));
  kj::Array<capnp::word> words = capnp::messageToFlatArray(builder);
  capnp::FlatArrayMessageReader reader(words);
  auto read = reader.getRoot<Element>();
  EXPECT_EQ(read.which(), Element::TEXT);
  return std::string(ViewOf(read.getText()));
}

TEST(NewTextTest, KeepsEmbeddedNulBytes) {
  std::string_view text("a\0b\0", 4);
  EXPECT_EQ(RoundTrip(text), std::string(text));
}

TEST(NewTextTest, EmptyTextIsEmptyNotNull) {
  EXPECT_EQ(RoundTrip(""), "");
  EXPECT_EQ(RoundTrip(std::string_view()), "");
}

TEST(NewTextTest, TakesExactlyTheViewOfALargerBuffer) {
  // The view ends mid-buffer: no NUL follows it, and the bytes after it
  // must not leak into the message.
  const char buffer[] = "prefix-middle-suffix";
  std::string_view middle(buffer + 7, 6);
  capnp::MallocMessageBuilder builder;
  auto element = builder.initRoot<Element>();
  element.adoptText(NewText(element, middle));
  capnp::Text::Reader stored = element.asReader().getText();
  EXPECT_EQ(ViewOf(stored), "middle");
  EXPECT_EQ(stored.cStr()[stored.size()], '\0');  // Cap'n Proto's own terminator
  EXPECT_EQ(RoundTrip(middle), "middle");
}

TEST(NewTextTest, FillsListElements) {
  const std::string options[] = {std::string("x\0y", 3), "", "plain"};
  capnp::MallocMessageBuilder builder;
  auto list = builder.initRoot<Choice>().initOptions(3);
  for (unsigned i = 0; i < 3; ++i) list.adopt(i, NewText(list, options[i]));
  for (unsigned i = 0; i < 3; ++i) EXPECT_EQ(ViewOf(list.asReader()[i]), options[i]);
}

TEST(NewTextTest, RefusesTextLongerThanAMessageCanCarry) {
  // Reserved, never touched: the size is refused before any byte is read.
  std::size_t size = std::size_t{capnp::MAX_TEXT_SIZE} + 1;
  void* huge = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(huge, MAP_FAILED);
  capnp::MallocMessageBuilder builder;
  auto element = builder.initRoot<Element>();
  EXPECT_THROW(NewText(element, std::string_view(static_cast<const char*>(huge), size)),
               std::invalid_argument);
  ::munmap(huge, size);
}

}  // namespace
}  // namespace sluice::ipc
