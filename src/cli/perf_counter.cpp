// instruction_counter: perf_event_open(2) with PERF_COUNT_HW_INSTRUCTIONS, user space only.
#include "perf_counter.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>

namespace chanrules::cli {

namespace {

std::string paranoid_level() {
  std::ifstream in("/proc/sys/kernel/perf_event_paranoid");
  std::string level;
  if (!(in >> level)) return "unknown";
  return level;
}

std::string explain_failure(int err) {
  switch (err) {
    case ENOENT:
    case EOPNOTSUPP:
      return "this machine exposes no hardware instruction counter (e.g. a virtual machine "
             "without a virtual PMU)";
    case ENOSYS:
      return "this kernel has no perf events (perf_event_open is not implemented)";
    case EACCES:
    case EPERM:
      return "the kernel or a sandbox forbids perf_event_open (" + std::string(std::strerror(err)) +
             "; /proc/sys/kernel/perf_event_paranoid is " + paranoid_level() +
             ": user-space counting needs 2 or less, and containers may block the system call)";
    default:
      return std::string("perf_event_open failed: ") + std::strerror(err);
  }
}

}  // namespace

instruction_counter::instruction_counter() {
  if (const char* off = std::getenv("CHANRULES_NO_PERF_EVENTS"); off && *off) {
    why_ = "perf events are turned off by CHANRULES_NO_PERF_EVENTS";
    return;
  }
  perf_event_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_HARDWARE;
  attr.config = PERF_COUNT_HW_INSTRUCTIONS;
  attr.disabled = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  attr.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
  long fd = syscall(SYS_perf_event_open, &attr, 0 /* this thread */, -1 /* any CPU */,
                    -1 /* no group */, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) {
    why_ = explain_failure(errno);
    return;
  }
  fd_ = static_cast<int>(fd);
}

instruction_counter::~instruction_counter() {
  if (fd_ >= 0) close(fd_);
}

void instruction_counter::start() {
  if (fd_ < 0) return;
  ioctl(fd_, PERF_EVENT_IOC_RESET, 0);
  ioctl(fd_, PERF_EVENT_IOC_ENABLE, 0);
}

uint64_t instruction_counter::stop() {
  if (fd_ < 0) return 0;
  ioctl(fd_, PERF_EVENT_IOC_DISABLE, 0);
  struct {
    uint64_t value, enabled, running;
  } data{};
  if (read(fd_, &data, sizeof data) != static_cast<ssize_t>(sizeof data)) return 0;
  if (data.running == 0) return 0;
  if (data.running < data.enabled)
    return static_cast<uint64_t>(static_cast<double>(data.value) *
                                 (static_cast<double>(data.enabled) / data.running));
  return data.value;
}

}  // namespace chanrules::cli
