// Backup and restore endpoints: GET /db/backup, POST /db/load, POST /boot (spec §6.6-6.8).
#include "server/http_api.h"

namespace uq::server {

void HttpApi::handle_backup(const Call& call) {
  handle_unimplemented(call, "backup");
}

void HttpApi::handle_load(const Call& call) {
  handle_unimplemented(call, "load");
}

void HttpApi::handle_boot(const Call& call) {
  handle_unimplemented(call, "boot");
}

}  // namespace uq::server
