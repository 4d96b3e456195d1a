// core/completion.h — the io_uring completion convention shared by every module.
//
// Every SQE submitted on a reactor's ring carries, as user_data, a pointer to a Completion that
// the submitter owns and embeds in its own object (a connection, a WAL writer, a timer), so no
// allocation happens per operation and the number of operations in flight is bounded by the
// number of such objects. The reactor calls complete() on its own thread, once per CQE (several
// times for multishot operations, with IORING_CQE_F_MORE set in flags while more will follow).
// user_data 0 is reserved for CQEs the reactor ignores (e.g. cancellations).
#pragma once

#include <cstdint>

namespace uq::core {

class Completion {
 public:
  // res is the CQE's result (negative errno on failure); flags are the CQE's flags.
  virtual void complete(int32_t res, uint32_t flags) = 0;

 protected:
  ~Completion() = default;
};

}  // namespace uq::core
