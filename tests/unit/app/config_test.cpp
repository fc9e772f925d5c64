#include "app/config.h"

#include <fstream>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace roomplane::app {
namespace {

core::Result<Config> load(std::map<std::string, std::string> env = {},
                          std::map<std::string, std::string> flags = {},
                          std::optional<std::string> toml = std::nullopt) {
  ConfigSources sources;
  sources.env = std::move(env);
  sources.flags = std::move(flags);
  sources.toml_path = std::move(toml);
  return load_config(sources);
}

std::string write_file(const testing::TempDir& dir, const std::string& text) {
  const auto path = dir.file("roomplane.toml");
  std::ofstream(path) << text;
  return path;
}

TEST(Config, DefaultsMatchTheDesign) {
  auto c = load();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->listen.to_string(), "127.0.0.1:8080");
  EXPECT_EQ(c->db_url, "sqlite:./data/roomplane.db");
  EXPECT_EQ(c->effective_public_url(), "http://127.0.0.1:8080");
  EXPECT_EQ(c->twilio, TwilioMode::kEmulator);
  EXPECT_EQ(c->emulator_listen.to_string(), "127.0.0.1:8089");
  EXPECT_EQ(c->effective_master_key_file(), "./data/master.key");
  EXPECT_EQ(c->tenant_cache_ttl_seconds, 30);
  EXPECT_GE(c->effective_http_threads(), 1u);
}

TEST(Config, FlagsOverrideEnvironmentOverrideFile) {
  testing::TempDir dir;
  const auto file = write_file(
      dir, "listen = \"127.0.0.1:1111\"\ntenant_cache_ttl_seconds = 5\nlog_level = \"warn\"\n");
  auto c =
      load({{"ROOMPLANE_LISTEN", "127.0.0.1:2222"}, {"ROOMPLANE_TENANT_CACHE_TTL_SECONDS", "7"}},
           {{"listen", "127.0.0.1:3333"}}, file);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->listen.port, 3333);                          // flag
  EXPECT_EQ(c->tenant_cache_ttl_seconds, 7);                // env over file
  EXPECT_EQ(c->log_level, observability::LogLevel::kWarn);  // file over default
}

TEST(Config, PublicUrlDefaultsToListenAndTrailingSlashIsDropped) {
  auto c = load({}, {{"listen", "0.0.0.0:9000"}, {"public_url", "https://rooms.example.com/"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->effective_public_url(), "https://rooms.example.com");
  EXPECT_EQ(load({}, {{"listen", "[::1]:9000"}})->effective_public_url(), "http://[::1]:9000");
}

TEST(Config, EveryBadValueIsReportedWithItsSource) {
  auto c = load({{"ROOMPLANE_LISTEN", "nonsense"}, {"ROOMPLANE_TWILIO", "maybe"}},
                {{"tenant_cache_ttl_seconds", "-1"},
                 {"db", "mysql://x"},
                 {"public_url", "ftp://x"},
                 {"log_level", "loud"},
                 {"http_threads", "many"}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "invalid_config");
  const auto& m = c.error().message;
  EXPECT_NE(m.find("listen: 'nonsense' is not HOST:PORT"), std::string::npos) << m;
  EXPECT_NE(m.find("(from ROOMPLANE_LISTEN)"), std::string::npos);
  EXPECT_NE(m.find("twilio: 'maybe' must be 'emulator' or 'live' (from ROOMPLANE_TWILIO)"),
            std::string::npos);
  EXPECT_NE(m.find("tenant_cache_ttl_seconds: '-1' is not an integer between 0 and 3600 (from "
                   "--tenant-cache-ttl-seconds)"),
            std::string::npos);
  EXPECT_NE(m.find("db: 'mysql://x' is not a database URL"), std::string::npos);
  EXPECT_NE(m.find("public_url: 'ftp://x'"), std::string::npos);
  EXPECT_NE(m.find("log_level: 'loud'"), std::string::npos);
  EXPECT_NE(m.find("http_threads: 'many'"), std::string::npos);
}

TEST(Config, PostgresIsRefusedClearlyUntilSupported) {
  auto c = load({{"ROOMPLANE_DB", "postgres://localhost/roomplane"}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("PostgreSQL is not supported by this build yet"),
            std::string::npos);
}

TEST(Config, HostPortParsing) {
  EXPECT_EQ(parse_host_port("localhost:0")->port, 0);
  EXPECT_EQ(parse_host_port("[::1]:80")->host, "::1");
  for (const char* bad :
       {"", ":80", "host", "host:", "host:65536", "host:-1", "a:b:c", "host:80x", "[::1]80"}) {
    EXPECT_FALSE(parse_host_port(bad).ok()) << bad;
  }
}

TEST(Config, FileErrors) {
  testing::TempDir dir;
  auto unknown = load({}, {}, write_file(dir, "lissten = \"127.0.0.1:1\"\n"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("lissten: unknown setting"), std::string::npos);

  auto syntax = load({}, {}, write_file(dir, "listen = \n"));
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.error().message.find("line 1"), std::string::npos) << syntax.error().message;

  auto secret = load({}, {}, write_file(dir, "master_key = \"abc\"\n"));
  ASSERT_FALSE(secret.ok());
  EXPECT_NE(
      secret.error().message.find("secrets are not read from files; set ROOMPLANE_MASTER_KEY"),
      std::string::npos);

  auto wrong_type = load({}, {}, write_file(dir, "listen = [1, 2]\n"));
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_NE(wrong_type.error().message.find("must be a string, integer or boolean"),
            std::string::npos);
}

TEST(Config, MasterKeyComesOnlyFromTheEnvironment) {
  auto from_env = load({{"ROOMPLANE_MASTER_KEY", "abc"}});
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(from_env->master_key, "abc");
  auto from_flag = load({}, {{"master_key", "abc"}});
  ASSERT_FALSE(from_flag.ok());
  EXPECT_NE(from_flag.error().message.find("master_key: unknown setting"), std::string::npos);
  for (const auto& s : settings())
    EXPECT_NE(s.key, "master_key") << "secret settings get no flag";
}

TEST(Config, MasterKeyFileLivesBesideTheDatabase) {
  auto c = load({}, {{"db", "sqlite:/var/lib/roomplane/rp.db"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->effective_master_key_file(), "/var/lib/roomplane/master.key");
  EXPECT_EQ(c->sqlite_path(), "/var/lib/roomplane/rp.db");
}

}  // namespace
}  // namespace roomplane::app
