#include "tests/support/tcp_probe.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "util/unique_fd.h"

namespace sluice::testing {
namespace {

absl::Status ErrnoStatus(std::string_view what) {
  return absl::InternalError(absl::StrCat(std::string(what), ": ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<TcpSendQueue> LoopbackTcpSendQueue(uint16_t local_port, uint16_t remote_port) {
  UniqueFd diag(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  if (!diag) return ErrnoStatus("socket(NETLINK_SOCK_DIAG)");

  // One exact lookup by the connection's addresses, asking for memory figures.
  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
  } query{};
  query.header.nlmsg_len = sizeof query;
  query.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  query.header.nlmsg_flags = NLM_F_REQUEST;
  query.request.sdiag_family = AF_INET;
  query.request.sdiag_protocol = IPPROTO_TCP;
  query.request.idiag_ext = 1u << (INET_DIAG_SKMEMINFO - 1);
  query.request.idiag_states = ~0u;
  query.request.id.idiag_sport = htons(local_port);
  query.request.id.idiag_dport = htons(remote_port);
  query.request.id.idiag_src[0] = htonl(INADDR_LOOPBACK);
  query.request.id.idiag_dst[0] = htonl(INADDR_LOOPBACK);
  query.request.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  query.request.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(diag.get(), &query, sizeof query, 0, reinterpret_cast<const sockaddr*>(&kernel),
               sizeof kernel) != static_cast<ssize_t>(sizeof query)) {
    return ErrnoStatus("sendto(sock_diag)");
  }

  alignas(nlmsghdr) char reply[8192];
  ssize_t n;
  do {
    n = ::recv(diag.get(), reply, sizeof reply, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoStatus("recv(sock_diag)");
  auto* header = reinterpret_cast<nlmsghdr*>(reply);
  if (!NLMSG_OK(header, static_cast<unsigned>(n))) {
    return absl::DataLossError("sock_diag sent a truncated reply");
  }
  if (header->nlmsg_type == NLMSG_ERROR) {
    int err = -reinterpret_cast<nlmsgerr*>(NLMSG_DATA(header))->error;
    if (err == ENOENT) {
      return absl::NotFoundError(
          absl::StrCat("no TCP connection 127.0.0.1:", local_port, " -> :", remote_port));
    }
    return absl::InternalError(absl::StrCat("sock_diag: ", std::strerror(err)));
  }
  if (header->nlmsg_type != SOCK_DIAG_BY_FAMILY) {
    return absl::DataLossError(absl::StrCat("sock_diag replied with type ", header->nlmsg_type));
  }
  auto* message = reinterpret_cast<inet_diag_msg*>(NLMSG_DATA(header));
  int left = static_cast<int>(header->nlmsg_len - NLMSG_LENGTH(sizeof *message));
  for (auto* attribute = reinterpret_cast<rtattr*>(message + 1); RTA_OK(attribute, left);
       attribute = RTA_NEXT(attribute, left)) {
    if (attribute->rta_type != INET_DIAG_SKMEMINFO ||
        RTA_PAYLOAD(attribute) < SK_MEMINFO_VARS * sizeof(uint32_t)) {
      continue;
    }
    uint32_t memory[SK_MEMINFO_VARS];
    std::memcpy(memory, RTA_DATA(attribute), sizeof memory);
    return TcpSendQueue{memory[SK_MEMINFO_WMEM_QUEUED], memory[SK_MEMINFO_SNDBUF]};
  }
  return absl::DataLossError("sock_diag's reply has no memory figures");
}

}  // namespace sluice::testing
