#pragma once
// The `roomplane` command line: serve, migrate, tenant create|list|rotate-key|revoke-key|
// set-twilio. Commands print JSON on stdout; errors print {"error":{...}} on stderr and exit 1
// (2 for usage errors). Logs go to stderr as JSON lines.

#include <map>
#include <string>

namespace roomplane::app {

int run_cli(int argc, char** argv, const std::map<std::string, std::string>& env);

}  // namespace roomplane::app
