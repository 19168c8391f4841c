#include "runtime/uapi/session.h"

#include <sodium.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace aclc::runtime::uapi {

Session::Session(ConfigTarget& target, Log log) : target_(target), log_(std::move(log)) {
  line_.reserve(kMaxLineBytes + 1);  // never reallocated, so wiping it wipes every copy
}

Session::~Session() {
  wipe_line();
  sodium_memzero(output_.data(), output_.size());
}

size_t Session::receive(std::string_view bytes) {
  size_t used = 0;
  while (used < bytes.size() && state_ != State::kFinished && output_.empty()) {
    const std::string_view rest = bytes.substr(used);
    const size_t newline = rest.find('\n');
    const std::string_view chunk = rest.substr(0, newline);

    if (state_ == State::kGetEnd) {  // "get=1\n" must be followed by "\n" alone
      used += 1;
      if (rest[0] == '\n') {
        append_get(target_.status(), &output_);
        output_.append(format_errno(0));
        state_ = State::kOperation;
      } else {
        note("get: trailing bytes after get=1");
        reply(format_errno(-EINVAL));
        state_ = State::kFinished;
      }
      continue;
    }
    if (state_ == State::kDiscardLine) {  // the rest of an overlong set line
      if (newline == std::string_view::npos) return bytes.size();
      used += newline + 1;
      state_ = State::kSetLines;
      continue;
    }

    // kOperation or kSetLines: collect the line, at most one byte past the
    // limit so that the parser sees that it is too long.
    const size_t room = kMaxLineBytes + 1 - line_.size();
    line_.append(chunk.substr(0, room));
    if (chunk.size() > room) {
      if (state_ == State::kOperation) {
        note("closing: overlong operation line");
        state_ = State::kFinished;
        wipe_line();
        return used + chunk.size();
      }
      set_->add_line(line_);  // fails: -EINVAL (or -EPROTO without '=')
      wipe_line();
      used += room;
      state_ = State::kDiscardLine;
      continue;
    }
    if (newline == std::string_view::npos) return bytes.size();
    used += newline + 1;
    end_of_line();
  }
  return used;
}

void Session::end_of_line() {
  if (state_ == State::kOperation) {
    if (line_ == "get=1") {
      state_ = State::kGetEnd;
    } else if (line_ == "set=1") {
      set_.emplace();
      state_ = State::kSetLines;
    } else {
      note("closing: invalid operation");
      state_ = State::kFinished;
    }
    wipe_line();
    return;
  }
  // kSetLines
  if (line_.empty()) {
    end_of_set();
    return;
  }
  set_->add_line(line_);
  wipe_line();
  if (set_->lines() > kMaxSetLines) {
    note("set refused: " + set_->detail());
    reply(format_errno(-EMSGSIZE));
    set_.reset();
    state_ = State::kFinished;
  }
}

void Session::end_of_set() {
  int error = set_->error();
  if (error != 0) {
    note("set refused (errno " + std::to_string(error) + "): " + set_->detail());
  } else {
    const DeviceConfig config = set_->finish();
    error = target_.apply(config);
    if (error > 0) error = -error;  // the contract says negative; never report success by mistake
    if (error != 0) note("set failed to apply (errno " + std::to_string(error) + ")");
  }
  set_.reset();
  reply(format_errno(error));
  state_ = State::kOperation;
}

void Session::reply(std::string_view text) { output_.append(text); }

std::string_view Session::output() const {
  return std::string_view(output_).substr(output_sent_);
}

void Session::sent(size_t n) {
  output_sent_ += std::min(n, output_.size() - output_sent_);
  if (output_sent_ == output_.size()) {
    sodium_memzero(output_.data(), output_.size());
    std::string().swap(output_);  // a large dump's buffer is not kept
    output_sent_ = 0;
  }
}

void Session::wipe_line() {
  sodium_memzero(line_.data(), line_.size());
  line_.clear();
}

void Session::note(std::string_view line) const {
  if (log_) log_(line);
}

}  // namespace aclc::runtime::uapi
