// The create step on its own (tree_writer.h): a destination tree where a
// symlink or a file was planted between the path checks and the create
// call. The path checker refuses every hostile archive before the writer
// runs, so only these tests see the descriptor-level defences
// (O_EXCL | O_NOFOLLOW on files, O_NOFOLLOW on directories).
#include "tree_writer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"

using namespace allocpipe;
using namespace allocpipe::test;

namespace {

// <dir>/tree is where the writer works; <dir>/victim is outside it and
// holds a file that must never change.
struct PlantedSite {
  TempDir dir;
  fs::path tree() const { return dir / "tree"; }
  fs::path victim() const { return dir / "victim"; }
  Fd tree_fd;
  PlantedSite() {
    fs::create_directories(tree());
    fs::create_directories(victim());
    write_file(victim() / "precious", "precious\n");
    fs::permissions(victim(), fs::perms::owner_all);
    tree_fd = Fd(::open(tree().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  }
  void expect_victim_untouched(const std::map<std::string, std::string>& before) const {
    EXPECT_EQ(read_file(victim() / "precious"), "precious\n");
    EXPECT_EQ(snapshot(victim()), before) << "the writer reached outside its tree";
  }
};

}  // namespace

TEST(TreeWriter, FileCreationDoesNotFollowAPlantedSymlink) {
  PlantedSite site;
  fs::create_symlink(site.victim() / "precious", site.tree() / "f");
  const auto before = snapshot(site.victim());
  EXPECT_THROW(
      {
        Fd file = create_file(site.tree_fd.get(), "f", 0644);
        write_all(file.get(), "owned\n", 6);
      },
      Error);
  site.expect_victim_untouched(before);
  EXPECT_TRUE(fs::is_symlink(site.tree() / "f"));
}

TEST(TreeWriter, FileCreationDoesNotFollowADanglingSymlink) {
  PlantedSite site;
  fs::create_symlink(site.victim() / "new-file", site.tree() / "f");
  const auto before = snapshot(site.victim());
  EXPECT_THROW(create_file(site.tree_fd.get(), "f", 0644), Error);
  EXPECT_FALSE(fs::exists(site.victim() / "new-file")) << "created a file through a dangling symlink";
  site.expect_victim_untouched(before);
}

TEST(TreeWriter, FileCreationDoesNotReuseAPlantedFile) {
  PlantedSite site;
  write_file(site.tree() / "f", "planted\n");
  // A hard link to a file outside: truncating it would change the victim.
  fs::create_hard_link(site.victim() / "precious", site.tree() / "g");
  const auto before = snapshot(site.victim());
  EXPECT_THROW(create_file(site.tree_fd.get(), "f", 0644), Error);
  EXPECT_THROW(create_file(site.tree_fd.get(), "g", 0644), Error);
  EXPECT_EQ(read_file(site.tree() / "f"), "planted\n") << "an existing file was opened (and truncated)";
  site.expect_victim_untouched(before);
}

TEST(TreeWriter, DirectoryWalkDoesNotFollowAPlantedSymlink) {
  PlantedSite site;
  fs::create_directory_symlink(site.victim(), site.tree() / "d");
  const auto before = snapshot(site.victim());
  EXPECT_THROW(open_directory(site.tree_fd.get(), "d", true, "d"), Error);
  DirectoryChain chain(Fd(::dup(site.tree_fd.get())));
  EXPECT_THROW(chain.open({"d", "sub"}, 2, true), Error);
  EXPECT_FALSE(fs::exists(site.victim() / "sub")) << "a directory was created through the symlink";
  site.expect_victim_untouched(before);
}

TEST(TreeWriter, ExistingDirectoryModeIsNotSetThroughASymlink) {
  // The archive names a directory twice; between the two, a symlink to a
  // directory outside took its place: its mode must not change.
  PlantedSite site;
  fs::create_directory_symlink(site.victim(), site.tree() / "d");
  const auto before = snapshot(site.victim());
  EXPECT_THROW(create_directory(site.tree_fd.get(), "d", 0777, true), Error);
  site.expect_victim_untouched(before);
}

TEST(TreeWriter, DirectoryOverAPlantedFileIsRefused) {
  PlantedSite site;
  write_file(site.tree() / "d", "planted\n");
  EXPECT_THROW(create_directory(site.tree_fd.get(), "d", 0755, true), Error);
  EXPECT_THROW(create_directory(site.tree_fd.get(), "d", 0755, false), Error);
  EXPECT_EQ(read_file(site.tree() / "d"), "planted\n");
}

TEST(TreeWriter, SymlinkAndHardLinkDoNotReplaceAPlantedName) {
  PlantedSite site;
  write_file(site.tree() / "s", "planted\n");
  write_file(site.tree() / "src", "source\n");
  write_file(site.tree() / "h", "planted\n");
  EXPECT_THROW(create_symlink(site.tree_fd.get(), "s", "src"), Error);
  EXPECT_THROW(create_hardlink(site.tree_fd.get(), "src", site.tree_fd.get(), "h"), Error);
  EXPECT_EQ(read_file(site.tree() / "s"), "planted\n");
  EXPECT_EQ(read_file(site.tree() / "h"), "planted\n");
}

TEST(TreeWriter, HardLinkSourceThatBecameASymlinkIsRefused) {
  PlantedSite site;
  fs::create_symlink(site.victim() / "precious", site.tree() / "src");
  EXPECT_THROW(create_hardlink(site.tree_fd.get(), "src", site.tree_fd.get(), "h"), Error);
  EXPECT_FALSE(fs::exists(site.tree() / "h"));
  EXPECT_EQ(fs::hard_link_count(site.victim() / "precious"), 1u);
}

TEST(TreeWriter, ModesAreStripped) {
  PlantedSite site;
  struct NoUmask {
    mode_t saved = ::umask(0);
    ~NoUmask() { ::umask(saved); }
  } no_umask;
  create_file(site.tree_fd.get(), "f", 06777);
  create_directory(site.tree_fd.get(), "d", 07777, false);
  struct stat st {};
  ASSERT_EQ(::lstat((site.tree() / "f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_EQ(::lstat((site.tree() / "d").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
}

TEST(TreeWriter, ChainOpensOnlyTheComponentsThatChange) {
  PlantedSite site;
  DirectoryChain chain(Fd(::dup(site.tree_fd.get())));
  chain.open({"a", "b", "c"}, 3, true);
  EXPECT_EQ(chain.opened(), 3u);
  chain.open({"a", "b", "c"}, 3, true);
  EXPECT_EQ(chain.opened(), 3u) << "the same directory again opened something";
  chain.open({"a", "b", "d"}, 3, true);
  EXPECT_EQ(chain.opened(), 4u);
  chain.open({"a"}, 1, false);
  EXPECT_EQ(chain.opened(), 4u);
  EXPECT_TRUE(fs::is_directory(site.tree() / "a" / "b" / "d"));
}
