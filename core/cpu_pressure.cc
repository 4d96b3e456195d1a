#include "core/cpu_pressure.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>

namespace uq::core {

std::optional<uint64_t> parse_psi_some_total(std::string_view text) {
  if (!text.starts_with("some ")) {
    return std::nullopt;
  }
  std::string_view line = text.substr(0, text.find('\n'));
  size_t at = line.find(" total=");
  if (at == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view digits = line.substr(at + 7);
  uint64_t total = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), total);
  if (ec != std::errc() || end == digits.data() ||
      (end != digits.data() + digits.size() && *end != ' ')) {
    return std::nullopt;
  }
  return total;
}

double CpuPressure::sample() {
  int fd = ::open("/proc/pressure/cpu", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return -1;
  }
  char buf[256];
  ssize_t n = ::read(fd, buf, sizeof(buf));
  ::close(fd);
  auto total =
      n > 0 ? parse_psi_some_total(std::string_view(buf, static_cast<size_t>(n))) : std::nullopt;
  auto now = std::chrono::steady_clock::now();
  double share = -1;
  if (total && last_total_us_ && *total >= *last_total_us_ && now > last_at_) {
    auto wall_us = std::chrono::duration_cast<std::chrono::microseconds>(now - last_at_).count();
    share = static_cast<double>(*total - *last_total_us_) / static_cast<double>(wall_us);
    share = share > 1 ? 1 : share;
  }
  last_total_us_ = total;
  last_at_ = now;
  return share;
}

bool ContentionSwitch::update(double share, int64_t now_ms) {
  if (share >= kContended) {
    contended_ = true;
    hold_until_ms_ = now_ms + kHoldMs;
  } else if (share >= 0 && share < kCalm && now_ms >= hold_until_ms_) {
    contended_ = false;
  }
  return contended_;
}

}  // namespace uq::core
