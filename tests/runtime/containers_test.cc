// ContainerTree on its own: where each element of a run goes, and the
// container lengths the page trims to.
#include "runtime/containers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sluice::runtime {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Pair;

class ContainerTreeTest : public ::testing::Test {
 protected:
  void SetUp() override { tree_.Reset(); }
  ContainerTree tree_;
};

TEST_F(ContainerTreeTest, ElementsGoToMainInOrder) {
  EXPECT_EQ(tree_.Next(), (Path{kMainRoot, 0}));
  EXPECT_EQ(tree_.Next(), (Path{kMainRoot, 1}));
  EXPECT_EQ(tree_.Next(), (Path{kMainRoot, 2}));
}

TEST_F(ContainerTreeTest, EnteredContainerTakesElementsUntilLeft) {
  EXPECT_EQ(tree_.Next(), (Path{kMainRoot, 0}));
  std::size_t depth = tree_.Enter({kSidebarRoot});
  EXPECT_EQ(tree_.Next(), (Path{kSidebarRoot, 0}));
  EXPECT_EQ(tree_.Next(), (Path{kSidebarRoot, 1}));
  tree_.Leave(depth);
  EXPECT_EQ(tree_.Next(), (Path{kMainRoot, 1}));
}

TEST_F(ContainerTreeTest, NestedScopesReturnToTheirOuterContainer) {
  Path columns = tree_.Next();  // [0, 0]
  Path second_column = columns;
  second_column.push_back(1);
  std::size_t outer = tree_.Enter(second_column);
  EXPECT_EQ(tree_.Next(), (Path{kMainRoot, 0, 1, 0}));
  Path expander = tree_.Next();  // [0, 0, 1, 1]
  expander.push_back(0);
  std::size_t inner = tree_.Enter(expander);
  EXPECT_EQ(tree_.Next(), (Path{kMainRoot, 0, 1, 1, 0, 0}));
  tree_.Leave(inner);
  EXPECT_EQ(tree_.Next(), (Path{kMainRoot, 0, 1, 2}));
  tree_.Leave(outer);
  EXPECT_EQ(tree_.Next(), (Path{kMainRoot, 1}));
}

TEST_F(ContainerTreeTest, LeavingAnOuterScopeFirstLeavesTheInnerOneToo) {
  std::size_t outer = tree_.Enter({kSidebarRoot});
  std::size_t inner = tree_.Enter({kSidebarRoot, 0, 0});
  tree_.Leave(outer);
  EXPECT_EQ(tree_.Next(), (Path{kMainRoot, 0}));
  // The inner scope ends later: it is already gone, so nothing changes.
  tree_.Leave(inner);
  EXPECT_EQ(tree_.Next(), (Path{kMainRoot, 1}));
}

TEST_F(ContainerTreeTest, LeavingTheRootOrAfterResetIsIgnored) {
  std::size_t depth = tree_.Enter({kSidebarRoot});
  tree_.Leave(0);
  EXPECT_EQ(tree_.Next(), (Path{kSidebarRoot, 0}));
  tree_.Reset();
  tree_.Leave(depth);  // a scope that outlived its run
  EXPECT_EQ(tree_.Next(), (Path{kMainRoot, 0}));
}

TEST_F(ContainerTreeTest, TakeBackGivesTheLastPlaceToTheNextElement) {
  EXPECT_EQ(tree_.Next(), (Path{kMainRoot, 0}));
  Path spinner = tree_.Next();
  tree_.TakeBack(spinner);
  EXPECT_EQ(tree_.Next(), spinner);
}

TEST_F(ContainerTreeTest, TakeBackIsIgnoredOnceSomethingFollowed) {
  Path spinner = tree_.Next();
  EXPECT_EQ(tree_.Next(), (Path{kMainRoot, 1}));
  tree_.TakeBack(spinner);
  EXPECT_EQ(tree_.Next(), (Path{kMainRoot, 2}));
}

TEST_F(ContainerTreeTest, TakeBackIsIgnoredFromAnotherContainer) {
  Path spinner = tree_.Next();  // [0, 0]
  std::size_t depth = tree_.Enter({kSidebarRoot});
  tree_.TakeBack(spinner);
  EXPECT_EQ(tree_.Next(), (Path{kSidebarRoot, 0}));
  tree_.Leave(depth);
  EXPECT_EQ(tree_.Next(), (Path{kMainRoot, 1}));
}

TEST_F(ContainerTreeTest, LengthsCountEveryContainerOfTheRun) {
  tree_.Next();
  tree_.Next();
  std::size_t depth = tree_.Enter({kSidebarRoot});
  tree_.Next();
  tree_.Leave(depth);
  EXPECT_THAT(tree_.Lengths(), ElementsAre(Pair(Path{kMainRoot}, 2), Pair(Path{kSidebarRoot}, 1)));
}

TEST_F(ContainerTreeTest, DeclaredContainerHasLengthZeroWhenEmpty) {
  Path columns = tree_.Next();
  for (std::uint32_t c = 0; c < 2; ++c) {
    Path column = columns;
    column.push_back(c);
    tree_.Declare(column);
  }
  // The page trims a column emptied since the last run only if it is listed.
  EXPECT_THAT(tree_.Lengths(), Contains(Pair(Path{kMainRoot, 0, 0}, 0)));
  EXPECT_THAT(tree_.Lengths(), Contains(Pair(Path{kMainRoot, 0, 1}, 0)));
}

TEST_F(ContainerTreeTest, DeclareKeepsTheCountOfAContainerInUse) {
  std::size_t depth = tree_.Enter({kMainRoot, 0, 0});
  tree_.Next();
  tree_.Declare({kMainRoot, 0, 0});
  EXPECT_EQ(tree_.Next(), (Path{kMainRoot, 0, 0, 1}));
  tree_.Leave(depth);
}

TEST_F(ContainerTreeTest, ResetEmptiesEveryContainer) {
  tree_.Next();
  tree_.Enter({kMainRoot, 0, 0});
  tree_.Next();
  tree_.Reset();
  EXPECT_THAT(tree_.Lengths(), ElementsAre(Pair(Path{kMainRoot}, 0), Pair(Path{kSidebarRoot}, 0)));
  EXPECT_EQ(tree_.Next(), (Path{kMainRoot, 0}));
}

// A slot's block replaced by a leaf: its containers, and everything in
// them, leave the run's lengths; the slot's siblings stay.
TEST_F(ContainerTreeTest, ForgetDropsTheContainersUnderAnElementOnly) {
  Path slot = tree_.Next();  // [0, 0]
  Path column = slot;
  column.push_back(1);
  std::size_t depth = tree_.Enter(column);
  Path expander = tree_.Next();  // [0, 0, 1, 0]
  Path body = expander;
  body.push_back(0);
  tree_.Declare(body);
  tree_.Leave(depth);
  tree_.Next();  // [0, 1]
  EXPECT_TRUE(tree_.Declared(column));
  EXPECT_FALSE(tree_.InsideOf(slot));
  tree_.Forget(slot);
  EXPECT_FALSE(tree_.Declared(column));
  EXPECT_FALSE(tree_.Declared(body));
  EXPECT_THAT(tree_.Lengths(), ElementsAre(Pair(Path{kMainRoot}, 2), Pair(Path{kSidebarRoot}, 0)));
}

TEST_F(ContainerTreeTest, InsideOfSeesAnOpenScopeInAnElementsContainer) {
  Path block = tree_.Next();
  Path body = block;
  body.push_back(0);
  std::size_t depth = tree_.Enter(body);
  EXPECT_TRUE(tree_.InsideOf(block));
  EXPECT_FALSE(tree_.InsideOf(Path{kMainRoot, 1}));
  tree_.Leave(depth);
  EXPECT_FALSE(tree_.InsideOf(block));
}

}  // namespace
}  // namespace sluice::runtime
