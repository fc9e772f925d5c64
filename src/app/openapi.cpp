#include "app/openapi.h"

namespace roomplane::app {

void add_openapi_route(http::Router& router) {
  router.add("GET", "/openapi.json", http::inline_handler([](const http::Request&) {
               return http::Response::text(200, std::string(openapi_document()),
                                           "application/json");
             }));
}

}  // namespace roomplane::app
