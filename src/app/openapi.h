#pragma once
// The OpenAPI 3 document of the public contract. Its source is api/openapi.json in the
// repository, compiled into the binary so GET /openapi.json always serves the document of the
// code it runs with; a test checks that the router and the document list the same routes.

#include <string_view>

#include "http/router.h"

namespace roomplane::app {

std::string_view openapi_document();

// GET /openapi.json
void add_openapi_route(http::Router& router);

}  // namespace roomplane::app
