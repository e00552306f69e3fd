// The host check: inspects the machine a profile describes and reports JSON.
#pragma once

#include <string>

namespace wph {

class Job;
struct HostProfile;

// Runs every check in turn, reporting progress on `job` (and honouring its
// cancellation). `state_dir` is included in the disk report.
std::string run_host_check(const HostProfile &profile, const std::string &state_dir, Job &job);

}  // namespace wph
