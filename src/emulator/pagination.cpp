#include "emulator/pagination.h"

#include <algorithm>
#include <charconv>

#include "emulator/params.h"
#include "emulator/twilio_error.h"

namespace roomplane::emulator {
namespace {

constexpr std::int64_t kMaxPageIndex = 1'000'000'000;

std::string hex(std::uint64_t value) {
  char buf[17];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, value, 16);
  return std::string(buf, ptr);
}

std::string page_url(const PageContext& context, std::size_t page_size, std::int64_t page,
                     const std::string& token) {
  std::string url = context.base_url + context.path + "?";
  for (const auto& [name, value] : context.filters)
    url += http::percent_encode(name) + "=" + http::percent_encode(value) + "&";
  url += "PageSize=" + std::to_string(page_size) + "&Page=" + std::to_string(page);
  if (!token.empty())
    url += "&PageToken=" + http::percent_encode(token);
  return url;
}

}  // namespace

core::Result<PageRequest> parse_page_request(const http::FormParams& query,
                                             std::size_t max_page_size) {
  PageRequest out;
  if (const auto size = http::form_value(query, "PageSize")) {
    const auto n = parse_int(*size);
    if (!n || *n < 1)
      return invalid_parameter("PageSize must be a positive integer");
    out.page_size = std::min(static_cast<std::size_t>(*n), max_page_size);
  }
  out.page_size = std::min(out.page_size, max_page_size);
  if (const auto page = http::form_value(query, "Page")) {
    const auto n = parse_int(*page);
    // Bounded so that page + 1 in next_page_url cannot overflow.
    if (!n || *n < 0 || *n > kMaxPageIndex)
      return invalid_parameter("Page must be an integer between 0 and 1000000000");
    out.page = *n;
  }
  if (const auto token = http::form_value(query, "PageToken"); token && !token->empty()) {
    const std::string_view t = *token;
    std::uint64_t anchor = 0;
    const char* first = t.data() + 2;
    const char* last = t.data() + t.size();
    const bool shaped =
        t.size() > 2 && t.size() <= 18 && (t[0] == 'P') && (t[1] == 'A' || t[1] == 'B');
    if (!shaped)
      return invalid_parameter("PageToken is invalid");
    const auto [ptr, ec] = std::from_chars(first, last, anchor, 16);
    if (ec != std::errc() || ptr != last)
      return invalid_parameter("PageToken is invalid");
    out.direction = t[1] == 'A' ? PageRequest::Direction::kAfter : PageRequest::Direction::kBefore;
    out.anchor = anchor;
    out.token = *token;
  }
  return out;
}

PageSlice slice_page(const std::vector<std::uint64_t>& seqs, const PageRequest& request,
                     bool descending) {
  // "after x" in display order: further down the list.
  const auto after = [descending](std::uint64_t seq, std::uint64_t x) {
    return descending ? seq < x : seq > x;
  };
  PageSlice slice;
  switch (request.direction) {
    case PageRequest::Direction::kFirst:
      slice.begin = 0;
      break;
    case PageRequest::Direction::kAfter: {
      const auto it = std::find_if(seqs.begin(), seqs.end(),
                                   [&](std::uint64_t s) { return after(s, request.anchor); });
      slice.begin = static_cast<std::size_t>(it - seqs.begin());
      break;
    }
    case PageRequest::Direction::kBefore: {
      // Items strictly before the anchor form a prefix; the page is its tail.
      const auto it = std::find_if(seqs.begin(), seqs.end(), [&](std::uint64_t s) {
        return s == request.anchor || after(s, request.anchor);
      });
      const auto prefix = static_cast<std::size_t>(it - seqs.begin());
      slice.begin = prefix > request.page_size ? prefix - request.page_size : 0;
      slice.end = prefix;
      return slice;
    }
  }
  slice.end = std::min(seqs.size(), slice.begin + request.page_size);
  return slice;
}

nlohmann::json page_envelope(const PageContext& context, const PageRequest& request,
                             const std::vector<std::uint64_t>& seqs, PageSlice slice,
                             nlohmann::json items) {
  nlohmann::json meta = nlohmann::json::object();
  meta["page"] = request.page;
  meta["page_size"] = request.page_size;
  meta["first_page_url"] = page_url(context, request.page_size, 0, "");
  meta["url"] = page_url(context, request.page_size, request.page, request.token);
  meta["key"] = context.key;
  if (slice.end < seqs.size() && slice.end > slice.begin) {
    meta["next_page_url"] =
        page_url(context, request.page_size, request.page + 1, "PA" + hex(seqs[slice.end - 1]));
  } else {
    meta["next_page_url"] = nullptr;
  }
  if (slice.begin > 0 && slice.begin < seqs.size() && request.page > 0) {
    meta["previous_page_url"] =
        page_url(context, request.page_size, request.page - 1, "PB" + hex(seqs[slice.begin]));
  } else {
    meta["previous_page_url"] = nullptr;
  }
  nlohmann::json out = nlohmann::json::object();
  out[context.key] = std::move(items);
  out["meta"] = std::move(meta);
  return out;
}

http::FormParams echo_filters(const http::FormParams& query,
                              const std::vector<std::string_view>& allowed) {
  http::FormParams out;
  for (const auto& [name, value] : query) {
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end())
      out.emplace_back(name, value);
  }
  return out;
}

}  // namespace roomplane::emulator
