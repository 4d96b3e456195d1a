// net/peer.h — the node-to-node transport: framed, checksummed messages and RPC over TCP.
//
// Owns: one listening socket (the node's -raft-addr), the connections accepted on it (they
// receive one-way messages and requests and carry the responses back), one persistent outbound
// connection per destination address (it sends this node's messages and requests), their
// buffers, the pending calls and their timers. docs/transport.md describes the wire format.
// Threads: ONE reactor (reactor 0, the raft core). Construction and listen() may happen before
// that reactor's run() starts; every other call, and every callback, is on its owner thread.
// Guarantees:
//  - One-way messages to one destination arrive in order while a connection lives; they are
//    best effort: dropped when the connection fails or the destination's queue is over
//    max_queued_bytes (Raft resends), never reordered or duplicated.
//  - Every call() gets exactly one done: the response, kUnavailable (cannot connect, connection
//    lost, queue full, transport closed while pending) or kTimeout (no answer in time). A late
//    response to a timed-out call is ignored.
//  - Bad input from the network (wrong preamble, bad checksum, unknown kind, reserved bits set,
//    length over max_frame_bytes) closes that connection and counts bad_frames; nothing is
//    allocated for a frame before its length is checked.
//  - After close(), no callback runs (not even for call() made later: done is dropped). Destroy
//    the transport only after close()'s on_closed ran or after the reactor's run() has returned
//    for good: ring operations in flight point into it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <sys/socket.h>

#include "core/completion.h"
#include "core/reactor.h"
#include "core/status.h"

namespace uq::net {

// The byte layout on the wire (docs/transport.md has the table). Pure functions, any thread.
namespace peer_wire {

inline constexpr char kMagic[6] = {'U', 'Q', 'P', 'E', 'E', 'R'};
inline constexpr uint16_t kVersion = 1;
inline constexpr size_t kPreambleBytes = 8;  // magic + u16 version
inline constexpr size_t kHeaderBytes = 16;   // u32 length, u8 kind, u8 method, u16 0, u64 id
inline constexpr size_t kTrailerBytes = 8;   // u64 XXH3 (kWire) over header + payload

enum class FrameKind : uint8_t {
  kMessage = 1,
  kRequest = 2,
  kResponse = 3,
  kErrorResponse = 4,  // method byte carries the uq::Code, payload the message
  kPing = 5,
  kPong = 6,
};

struct FrameHeader {
  uint32_t payload_bytes;
  FrameKind kind;
  uint8_t method;
  uint16_t reserved;
  uint64_t call_id;
};
static_assert(sizeof(FrameHeader) == kHeaderBytes, "the wire header is 16 bytes");

// The dialer's first 8 bytes.
std::string_view preamble();

// Appends header, payload and checksum to out (no allocation beyond out's growth).
void append_frame(std::string& out, FrameKind kind, uint8_t method, uint64_t call_id,
                  std::string_view payload);

struct Decoded {
  enum class Result { kNeedMore, kFrame, kBad };
  Result result = Result::kNeedMore;
  FrameHeader header{};
  std::string_view payload;  // points into the decoded buffer
  size_t frame_bytes = 0;    // kFrame: bytes to consume
  size_t need_bytes = 0;     // kNeedMore: bytes the whole frame (or header) needs
  const char* why = "";      // kBad: what was wrong
};

// Decodes the frame at the start of buffer. Checks the header (kind, reserved, length against
// max_frame_bytes) before asking for the payload, so a hostile length never makes the caller
// allocate it.
Decoded decode_frame(std::string_view buffer, size_t max_frame_bytes);

}  // namespace peer_wire

struct PeerOptions {
  std::chrono::milliseconds connect_timeout{30000};  // rqlited -cluster-connect-timeout
  std::chrono::milliseconds backoff_min{20};         // reconnect backoff doubles up to max
  std::chrono::milliseconds backoff_max{1000};
  std::chrono::milliseconds idle_ping{1000};    // ping an outbound connection silent this long
  std::chrono::milliseconds stale_after{5000};  // sent but nothing received this long: replace
  size_t max_frame_bytes = 256u << 20;
  size_t max_queued_bytes = 64u << 20;  // per destination; one-way messages beyond are dropped
  // Accepted connections beyond this are closed at once (each dialer needs one).
  size_t max_inbound_connections = 1024;
};

struct PeerStats {  // cumulative, for /debug/vars
  uint64_t connects = 0, connect_failures = 0, disconnects = 0, stale_replaced = 0, frames_sent = 0,
           frames_received = 0, bytes_sent = 0, bytes_received = 0, bad_frames = 0,
           dropped_messages = 0, calls = 0, call_timeouts = 0, call_failures = 0;
};

class PeerTransport {
 public:
  // The answer to one request. Move-only; send() or fail() at most once, possibly later (on the
  // reactor thread); a no-op when the connection died or the transport closed. Destroying an
  // unanswered Reply answers fail("no response").
  class Reply {
   public:
    Reply() = default;
    Reply(Reply&& other) noexcept;
    Reply& operator=(Reply&& other) noexcept;
    Reply(const Reply&) = delete;
    Reply& operator=(const Reply&) = delete;
    ~Reply();

    void send(std::string payload);
    // The caller's done sees Status(code, error); fail(error) uses Code::kInternal.
    void fail(std::string error);
    void fail(Code code, std::string error);
    bool answered() const { return !pending_; }

   private:
    friend class PeerTransport;
    Reply(std::weak_ptr<PeerTransport*> owner, uint64_t connection_id, uint64_t call_id)
        : owner_(std::move(owner)),
          connection_id_(connection_id),
          call_id_(call_id),
          pending_(true) {}
    void finish(peer_wire::FrameKind kind, uint8_t code, std::string_view payload);

    std::weak_ptr<PeerTransport*> owner_;
    uint64_t connection_id_ = 0;
    uint64_t call_id_ = 0;
    bool pending_ = false;
  };

  // Payload views point into the connection's receive buffer: valid during the callback only.
  using MessageHandler = std::function<void(std::string_view payload)>;
  using RequestHandler = std::function<void(uint8_t method, std::string_view payload, Reply reply)>;
  using CallDone = std::function<void(Result<std::string> response)>;

  PeerTransport(core::Reactor& reactor, PeerOptions options);
  ~PeerTransport();
  PeerTransport(const PeerTransport&) = delete;
  PeerTransport& operator=(const PeerTransport&) = delete;

  // Binds and listens (SO_REUSEADDR) on host:port; names resolve via getaddrinfo. Port 0 picks
  // a free port: bound_port() tells which.
  Status listen(const std::string& addr);
  uint16_t bound_port() const { return port_; }
  void on_message(MessageHandler handler) { on_message_ = std::move(handler); }
  void on_request(RequestHandler handler) { on_request_ = std::move(handler); }

  // One-way, best effort: queued on the persistent connection to addr (created on demand).
  void send(const std::string& addr, std::string payload);
  // RPC: done is called exactly once (see the header comment), never from inside call() except
  // for a payload over max_frame_bytes (kTooLarge) or a full queue (kUnavailable).
  void call(const std::string& addr, uint8_t method, std::string payload,
            std::chrono::milliseconds timeout, CallDone done);
  // Drop the connection to addr now (its pending calls fail); the next send reconnects at once.
  void reset(const std::string& addr);
  // True while an outbound connection to addr is established.
  bool connected(const std::string& addr) const;
  PeerStats stats() const { return stats_; }

  // Closes every connection and the listener; pending calls fail with kUnavailable; callbacks
  // are not called afterwards. on_closed runs (from a timer) once no ring operation points into
  // the transport any more; then it may be destroyed. Reactor thread, before it stops.
  void close(std::function<void()> on_closed = {});

 private:
  class Connection;
  class Acceptor final : public core::Completion {
   public:
    explicit Acceptor(PeerTransport* transport) : transport_(transport) {}
    void complete(int32_t res, uint32_t flags) override;

   private:
    PeerTransport* transport_;
  };
  struct Peer {
    std::string addr;
    Connection* connection = nullptr;
    int64_t retry_at_ms = 0;  // no dial before this (backoff)
    int64_t backoff_ms = 0;
  };
  struct PendingCall {
    CallDone done;
    uint64_t timer = 0;
    uint64_t connection_id = 0;
  };
  enum class CloseReason { kError, kBadFrame, kStale, kReset, kShutdown };

  Connection* outbound_for(const std::string& addr);
  void arm_accept();
  void on_accept(int32_t res);
  void on_call_timeout(uint64_t call_id);
  void complete_call(uint64_t connection_id, uint64_t call_id, Result<std::string> result);
  void respond(uint64_t connection_id, uint64_t call_id, peer_wire::FrameKind kind, uint8_t code,
               std::string_view payload);
  void on_connection_closed(Connection& connection, CloseReason reason, const std::string& why);
  void fail_calls_of(uint64_t connection_id, const std::string& why);
  void release(uint64_t connection_id);
  void sweep();
  void schedule_sweep();
  void maybe_finish_close();
  std::vector<Connection*> live_connections();

  core::Reactor& reactor_;
  const PeerOptions options_;
  MessageHandler on_message_;
  RequestHandler on_request_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  Acceptor acceptor_{this};
  bool accept_armed_ = false;
  uint64_t accept_retry_timer_ = 0;
  std::unordered_map<std::string, Peer> peers_;
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_;
  size_t inbound_count_ = 0;
  std::vector<std::unique_ptr<Connection>> graveyard_;  // released, freed from a timer
  uint64_t graveyard_timer_ = 0;
  std::unordered_map<uint64_t, PendingCall> calls_;
  uint64_t next_call_id_ = 1;
  uint64_t next_connection_id_ = 1;
  uint64_t sweep_timer_ = 0;
  PeerStats stats_;
  bool closed_ = false;
  bool close_done_ = false;
  uint64_t close_timer_ = 0;
  std::vector<std::function<void()>> on_closed_;
  // Replies hold a weak_ptr to this, so one answered after the transport is gone is a no-op.
  std::shared_ptr<PeerTransport*> alive_;
};

// ---- internal: one connection (net/peer_connection.cc) ----------------------------------------
// Outbound (peer_ != nullptr): kWaiting (backoff) → kConnecting → kOpen → kClosed. Inbound:
// kOpen → kClosed. A closed connection stays allocated until its last ring operation completed;
// then the transport moves it to the graveyard, freed from a timer (never under its own frame).
class PeerTransport::Connection {
 public:
  enum class State { kWaiting, kConnecting, kOpen, kClosed };

  Connection(PeerTransport& transport, uint64_t id, Peer* peer, int fd);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  uint64_t id() const { return id_; }
  Peer* peer() const { return peer_; }
  State state() const { return state_; }
  bool established() const { return established_; }
  uint64_t staged_messages() const { return staged_messages_; }
  size_t queued_bytes() const { return staged_.size() + sending_.size() - send_off_; }
  int64_t last_recv_ms() const { return last_recv_ms_; }
  int64_t awaiting_since_ms() const { return awaiting_since_ms_; }
  bool ping_outstanding() const { return ping_outstanding_; }
  void set_ping_outstanding() { ping_outstanding_ = true; }

  void begin_dial(int64_t delay_ms);    // outbound
  void start_inbound() { arm_recv(); }  // inbound, after accept
  void enqueue(peer_wire::FrameKind kind, uint8_t method, uint64_t call_id,
               std::string_view payload);
  void close(CloseReason reason, const std::string& why);

 private:
  template <void (Connection::*Fn)(int32_t, uint32_t)>
  class Op final : public core::Completion {
   public:
    explicit Op(Connection* connection) : connection_(connection) {}
    void complete(int32_t res, uint32_t flags) override { (connection_->*Fn)(res, flags); }

   private:
    Connection* connection_;
  };

  void cancel_timers();
  void dial();
  void on_connect(int32_t res, uint32_t flags);
  void schedule_flush();
  void start_send();
  void submit_send();
  void on_send(int32_t res, uint32_t flags);
  void arm_recv();
  void on_recv(int32_t res, uint32_t flags);
  bool check_preamble();
  void process();
  void dispatch_outbound(const peer_wire::FrameHeader& header, std::string_view payload);
  void dispatch_inbound(const peer_wire::FrameHeader& header, std::string_view payload);
  void cancel_op(core::Completion* op);
  void maybe_release();

  PeerTransport& transport_;
  const uint64_t id_;
  Peer* const peer_;  // nullptr for an inbound connection
  int fd_;
  State state_ = State::kWaiting;
  bool established_ = false;
  sockaddr_storage remote_{};
  socklen_t remote_len_ = 0;
  Op<&Connection::on_connect> connect_op_{this};
  Op<&Connection::on_recv> recv_op_{this};
  Op<&Connection::on_send> send_op_{this};
  int ops_in_flight_ = 0;
  bool connect_in_flight_ = false;
  bool connect_timed_out_ = false;
  bool recv_in_flight_ = false;
  bool send_in_flight_ = false;
  bool released_ = false;
  bool in_close_ = false;
  uint64_t dial_timer_ = 0;
  uint64_t connect_timer_ = 0;
  uint64_t flush_timer_ = 0;
  std::string staged_;   // frames queued during this turn (and, outbound, the preamble)
  std::string sending_;  // the bytes of the one send in flight
  size_t send_off_ = 0;
  uint64_t staged_frames_ = 0;
  uint64_t staged_messages_ = 0;
  int64_t awaiting_since_ms_ = 0;  // outbound: first send since the last frame received
  int64_t last_recv_ms_ = 0;
  bool ping_outstanding_ = false;
  std::string recv_;  // [rstart_, rend_) holds received, unparsed bytes
  size_t rstart_ = 0;
  size_t rend_ = 0;
  size_t need_bytes_ = 0;  // bytes the frame being received needs in total
  bool preamble_seen_ = false;
};

}  // namespace uq::net
