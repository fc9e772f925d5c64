#pragma once
// Twilio's list paging (twilio-video-api.md section 7).
//
// Request: PageSize (1..max, default 50; larger values are capped at the maximum), Page (the
// client's page index, echoed), PageToken (opaque, issued here). Response envelope:
//   {"<key>": [...], "meta": {"page", "page_size", "first_page_url", "previous_page_url",
//                             "url", "next_page_url", "key"}}
// URLs echo the filters the client sent (in its order, values percent-encoded), then PageSize,
// then Page, then PageToken on pages reached through a token.
//
// Tokens are positions, not offsets: "PA<hex seq>" = the items after the one with that
// creation sequence, "PB<hex seq>" = the page before it. A page walked by next_page_url stays
// consistent while items are added or removed in between (no duplicates, no skipped survivors).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "http/form.h"

namespace roomplane::emulator {

inline constexpr std::size_t kDefaultPageSize = 50;

struct PageRequest {
  std::size_t page_size = kDefaultPageSize;
  std::int64_t page = 0;
  enum class Direction { kFirst, kAfter, kBefore } direction = Direction::kFirst;
  std::uint64_t anchor = 0;  // the seq named by the token
  std::string token;         // as received, for `url`
};

// Reads PageSize / Page / PageToken from the query. Error 400/20001 on a non-numeric or
// non-positive PageSize, a negative Page, or a malformed token.
core::Result<PageRequest> parse_page_request(const http::FormParams& query,
                                             std::size_t max_page_size);

struct PageSlice {
  std::size_t begin = 0;
  std::size_t end = 0;
};

// `seqs` are the items' creation sequences in display order, which is descending (newest
// first) or ascending.
PageSlice slice_page(const std::vector<std::uint64_t>& seqs, const PageRequest& request,
                     bool descending);

struct PageContext {
  std::string base_url;  // e.g. "http://127.0.0.1:8089"
  std::string path;      // canonical list path, e.g. "/v1/Rooms/RM.../Participants"
  std::string key;       // "rooms", "participants", ...
  // The filter parameters the client sent, in order (paging parameters excluded).
  http::FormParams filters;
};

// The whole list response for the slice [slice.begin, slice.end) of `items` (JSON already
// rendered for the slice only) given every item's seq in display order.
nlohmann::json page_envelope(const PageContext& context, const PageRequest& request,
                             const std::vector<std::uint64_t>& seqs, PageSlice slice,
                             nlohmann::json items);

// The params of `query` whose names are in `allowed`, in the client's order.
http::FormParams echo_filters(const http::FormParams& query,
                              const std::vector<std::string_view>& allowed);

}  // namespace roomplane::emulator
