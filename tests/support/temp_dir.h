#pragma once
// A unique temporary directory removed when the test ends.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "crypto/crypto.h"

namespace roomplane::testing {

class TempDir {
 public:
  TempDir()
      : path_(std::filesystem::temp_directory_path() /
              crypto::random_token("roomplane-test-", 12)) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// All bytes of every file in `dir` whose name starts with `prefix` (a SQLite database and its
// -wal/-shm files), for tests that assert a secret never reaches the disk in clear.
inline std::string read_files_with_prefix(const std::filesystem::path& dir,
                                          const std::string& prefix) {
  std::string all;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().starts_with(prefix)) {
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      all += ss.str();
    }
  }
  return all;
}

}  // namespace roomplane::testing
