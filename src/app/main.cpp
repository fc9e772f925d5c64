// The roomplane binary: everything else is in app/ (the composition root) and the libraries.

#include <map>
#include <string>

#include "app/cli.h"

extern char** environ;

int main(int argc, char** argv) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    if (const auto eq = entry.find('=');
        eq != std::string::npos && entry.starts_with("ROOMPLANE_")) {
      env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
    }
  }
  return roomplane::app::run_cli(argc, argv, env);
}
