// Counting the instructions a piece of code executes, through Linux perf events.
//
// Instruction counts repeat almost exactly from run to run, where wall time on a shared
// machine swings by tens of percent, so `chanrules bench --instructions` reports them per
// record. The counter is the hardware event PERF_COUNT_HW_INSTRUCTIONS of the calling thread,
// user space only (the kernel's and hypervisor's instructions are excluded), which needs
// neither root nor CAP_PERFMON while /proc/sys/kernel/perf_event_paranoid is at most 2.
//
// Where there is no such counter (virtual machines without a virtual PMU, containers whose
// seccomp profile forbids perf_event_open, kernels built without perf events, Debian's
// perf_event_paranoid=3, or CHANRULES_NO_PERF_EVENTS set in the environment), available()
// is false and why() says which, in one line.
#pragma once

#include <cstdint>
#include <string>

namespace chanrules::cli {

class instruction_counter {
 public:
  instruction_counter();
  ~instruction_counter();
  instruction_counter(const instruction_counter&) = delete;
  instruction_counter& operator=(const instruction_counter&) = delete;

  bool available() const { return fd_ >= 0; }
  const std::string& why() const { return why_; }

  // Starts counting from zero (no-op when unavailable).
  void start();
  // Stops counting and returns the instructions counted since start() (0 when unavailable).
  // If the kernel multiplexed the counter with others, the count is scaled up by the share
  // of time it ran, as perf stat does.
  uint64_t stop();

 private:
  int fd_ = -1;
  std::string why_;
};

}  // namespace chanrules::cli
