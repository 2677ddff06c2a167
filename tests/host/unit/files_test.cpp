// Everything allocpipe-host writes on a host: atomic replace (also under
// kill -9), drop-ins put and restored, the rollout journal and its recovery,
// the state lock, and a read-only unit directory refused before any write.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "dropin.h"
#include "error.h"
#include "fs.h"
#include "rollout_journal.h"
#include "test_support.h"

using namespace allocpipe::host;
using hosttest::TempDir;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST(Files, AtomicWriteReplacesAndLeavesNoTemporary) {
  TempDir t;
  atomic_write(t / "f", "one\n");
  EXPECT_EQ(hosttest::read_text(t / "f"), "one\n");
  atomic_write(t / "f", "two\n");
  EXPECT_EQ(hosttest::read_text(t / "f"), "two\n");
  EXPECT_EQ(names_in(t.path()), std::vector<std::string>{"f"});
  EXPECT_EQ(fs::status(t / "f").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
}

TEST(Files, AtomicWriteIntoAMissingDirectoryFailsAndCreatesNothing) {
  TempDir t;
  EXPECT_THROW(atomic_write(t / "missing" / "f", "x"), SystemError);
  EXPECT_TRUE(names_in(t.path()).empty());
}

TEST(Files, KillNineDuringWritesLeavesOldOrNewNeverHalf) {
  TempDir t;
  const std::string a(1 << 20, 'a'), b(1 << 20, 'b');
  atomic_write(t / "f", a);
  for (int round = 0; round < 5; ++round) {
    pid_t pid = ::fork();
    if (pid == 0) {
      try {
        for (;;) {
          atomic_write(t / "f", b);
          atomic_write(t / "f", a);
        }
      } catch (...) {
        ::_exit(1);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + 15 * round));
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    const std::string now = hosttest::read_text(t / "f");
    EXPECT_TRUE(now == a || now == b) << "round " << round << ": " << now.size() << " bytes, mixed content";
  }
  // Only hidden temporaries may be left by a killed writer; journals and
  // drop-in listings ignore dot files.
  for (const std::string& name : names_in(t.path())) EXPECT_TRUE(name == "f" || name[0] == '.') << name;
}

TEST(Files, DropInIsWrittenAndPutBackExactly) {
  TempDir t;
  const fs::path path = drop_in_path(t.path(), "tor@a.service");
  EXPECT_EQ(path, t / "tor@a.service.d" / "50-allocpipe.conf");
  const std::string content = drop_in_content("/usr/lib/x/libm.so", "m-1");
  EXPECT_NE(content.find("[Service]\nEnvironment=\"LD_PRELOAD=/usr/lib/x/libm.so\"\n"), std::string::npos);
  EXPECT_EQ(content, drop_in_content("/usr/lib/x/libm.so", "m-1")) << "the same library must give the same bytes";

  // No directory before: put, then back to absent removes the directory too.
  put_drop_in(path, content, false);
  EXPECT_EQ(hosttest::read_text(path), content);
  put_drop_in(path, std::nullopt, false);
  EXPECT_FALSE(fs::exists(path.parent_path()));

  // An operator's directory with another drop-in: ours comes and goes, theirs stays.
  hosttest::write_text(t / "tor@b.service.d" / "10-limits.conf", "[Service]\nLimitNOFILE=65536\n");
  const fs::path b = drop_in_path(t.path(), "tor@b.service");
  put_drop_in(b, content, true);
  put_drop_in(b, std::nullopt, true);
  EXPECT_EQ(names_in(t / "tor@b.service.d"), std::vector<std::string>{"10-limits.conf"});

  // disable (keep_dir false) of a unit whose directory enable created: gone.
  const fs::path c = drop_in_path(t.path(), "tor@c.service");
  put_drop_in(c, content, false);
  put_drop_in(c, std::nullopt, false);
  EXPECT_FALSE(fs::exists(c.parent_path()));
  // an operator's empty directory is kept when asked (rollback to "it existed")
  fs::create_directories(c.parent_path());
  put_drop_in(c, content, true);
  put_drop_in(c, std::nullopt, true);
  EXPECT_TRUE(fs::is_directory(c.parent_path()));

  // A previous drop-in of ours comes back byte for byte.
  put_drop_in(b, std::string("old\n"), true);
  put_drop_in(b, content, true);
  put_drop_in(b, std::string("old\n"), true);
  EXPECT_EQ(hosttest::read_text(b), "old\n");
}

TEST(Files, UnsafeLibraryPathsAreNeverWrittenIntoAUnit) {
  for (const char* bad : {"relative.so", "/a b.so", "/a%n.so", "/a\".so", "/a\\.so", "/a$x.so", "/a:b.so", "/a\n.so"})
    EXPECT_THROW(drop_in_content(bad, "id"), UsageError) << bad;
}

TEST(Files, PreloadOfEnvironment) {
  EXPECT_EQ(preload_of({"A=1", "LD_PRELOAD=/x.so", "B=2"}), std::optional<std::string>("/x.so"));
  EXPECT_EQ(preload_of({"A=1"}), std::nullopt);
  EXPECT_EQ(split_preload("/a.so /b.so:/c.so"), (std::vector<std::string>{"/a.so", "/b.so", "/c.so"}));
}

TEST(Journal, SavedBeforeChangesAndReadBackAfterACrash) {
  TempDir t;
  JournalStore store(t.path());
  RolloutJournal j;
  j.id = store.new_id();
  j.command = "enable";
  j.library_id = "mimalloc-2.0.9-secure";
  j.library_path = "/usr/local/lib/mimalloc/libmimalloc-2.0.9-secure.so";
  j.created = rfc3339_now();
  j.unit_dir = "/etc/systemd/system";
  JournalUnit u;
  u.unit = "tor@a.service";
  u.drop_in = "/etc/systemd/system/tor@a.service.d/50-allocpipe.conf";
  u.previous_drop_in = std::nullopt;
  u.new_drop_in = "[Service]\nEnvironment=\"LD_PRELOAD=/x\"\n";
  u.previous_active_state = "active";
  u.previous_main_pid = 4242;
  j.units.push_back(u);
  JournalUnit v = u;
  v.unit = "tor@b.service";
  v.previous_drop_in = "previous content\n";
  v.dir_existed = true;
  j.units.push_back(v);
  j.apparmor.push_back(
      {"/etc/apparmor.d/local/system_tor", "/etc/apparmor.d/system_tor", "system_tor", std::nullopt, "/x mr,"});
  store.save(j);

  RolloutJournal back = store.load(j.id);
  EXPECT_EQ(back.to_json().dump(), j.to_json().dump());
  ASSERT_EQ(back.units.size(), 2u);
  EXPECT_FALSE(back.units[0].previous_drop_in.has_value()) << "absence must stay absence, not an empty file";
  EXPECT_EQ(back.units[1].previous_drop_in, std::optional<std::string>("previous content\n"));
  EXPECT_EQ(back.units[0].previous_main_pid, 4242u);
  ASSERT_EQ(back.apparmor.size(), 1u);
  EXPECT_FALSE(back.apparmor[0].previous.has_value());

  ASSERT_TRUE(store.latest().has_value());
  EXPECT_EQ(store.latest()->id, j.id);
}

TEST(Journal, RollbackWithoutIdMeansTheNewestJournalOnly) {
  TempDir t;
  JournalStore store(t.path());
  auto make = [&](const std::string& id, const std::string& created, const std::string& command,
                  std::vector<std::string> phases) {
    RolloutJournal j;
    j.id = id;
    j.command = command;
    j.created = created;
    j.unit_dir = "/etc/systemd/system";
    for (std::size_t i = 0; i < phases.size(); ++i) {
      JournalUnit u;
      u.unit = "tor@" + std::to_string(i) + ".service";
      u.drop_in = "/x/" + u.unit + ".d/50-allocpipe.conf";
      u.previous_active_state = "active";
      u.phase = phases[i];
      j.units.push_back(u);
    }
    store.save(j);
  };
  EXPECT_FALSE(store.latest().has_value());
  make("20260101T000000Z-1", "2026-01-01T00:00:00Z", "disable", {"passed", "passed"});
  make("20260101T000001Z-2", "2026-01-01T00:00:01Z", "enable", {"rolled-back", "skipped"});  // canary failed, put back
  // Never the older disable: undoing it would re-enable a library after a failed rollout.
  EXPECT_EQ(store.latest()->id, "20260101T000001Z-2");
  EXPECT_FALSE(store.latest()->may_have_changes());
  make("20260101T000002Z-3", "2026-01-01T00:00:02Z", "enable", {"planned", "planned"});  // kill -9 right after writing
  EXPECT_EQ(store.latest()->id, "20260101T000002Z-3");
  EXPECT_TRUE(store.latest()->may_have_changes());
}

TEST(Journal, UnknownIdListsKnownOnes) {
  TempDir t;
  JournalStore store(t.path());
  RolloutJournal j;
  j.id = "20260101T000000Z-1";
  j.command = "disable";
  j.created = "2026-01-01T00:00:00Z";
  j.unit_dir = "/etc/systemd/system";
  store.save(j);
  try {
    store.load("20260101T000000Z-2");
    FAIL() << "an unknown journal id was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("20260101T000000Z-1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(store.load("../../etc/passwd"), UsageError);
}

TEST(Journal, ACorruptJournalIsAnErrorNamingIt) {
  TempDir t;
  hosttest::write_text(t / "journal" / "x.json", "{\"format\": 1, \"id\": ");
  JournalStore store(t.path());
  try {
    store.all();
    FAIL() << "a truncated journal was read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("x.json"), std::string::npos) << e.what();
  }
}

TEST(Journal, SecondWriterIsRefusedWhileTheLockIsHeld) {
  TempDir t;
  StateLock first(t.path());
  try {
    StateLock second(t.path());
    FAIL() << "two writers held the state lock";
  } catch (const Error& e) {
    EXPECT_EQ(e.status, exit_busy);
  }
}

// A real read-only file system (tmpfs mounted read-only in a private mount
// namespace of a child, invisible to the rest of the machine).
TEST(Files, ReadOnlyUnitDirectoryIsRefusedBeforeAnyWrite) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for a private read-only mount";
  TempDir t;
  const fs::path ro = t / "etc-systemd-system";
  fs::create_directories(ro);
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("tmpfs", ro.c_str(), "tmpfs", MS_RDONLY, nullptr) != 0)
      ::_exit(77);
    try {
      require_writable_dir(ro, "systemd drop-ins");
      ::_exit(1);  // not refused
    } catch (const Refused& e) {
      const std::string what = e.what();
      if (what.find(ro.string()) == std::string::npos || what.find("Read-only file system") == std::string::npos)
        ::_exit(2);
    }
    // and nothing half-written: the drop-in cannot be created
    try {
      put_drop_in(drop_in_path(ro, "tor@a.service"), std::string("x"), false);
      ::_exit(3);
    } catch (const SystemError&) {
    }
    ::_exit(fs::is_empty(ro) ? 0 : 4);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "no private mount namespace here";
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "1: not refused, 2: message lacks the path or the reason, 3: written, 4: left a file";
  // writable: no complaint, and the probe leaves nothing
  require_writable_dir(t.path(), "x");
  EXPECT_EQ(names_in(t.path()), std::vector<std::string>{"etc-systemd-system"});
}
