// The host interface: every command the site engine runs and every file it
// writes goes through a SiteHost. LocalHost acts on this machine; PlanHost
// records what would be done (plan mode, and unit tests that need no root).
// A remote host over SSH is another implementation of the same interface.
#pragma once

#include <boost/json/array.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "host/process.hpp"
#include "host/profile.hpp"

namespace wph {
class CancelToken;
}

namespace wph::site {

struct Owner {
    std::string user;   // empty: root
    std::string group;  // empty: the user's primary group (root's for root)
};

struct RunOptions {
    std::string as_user;      // run as this user (and its groups); empty: as the engine
    std::string cwd;
    std::string stdin_data;   // secrets travel here, never in argv
    std::vector<std::string> env;
    std::chrono::milliseconds timeout{0};  // 0: the profile's command timeout
    bool secret_stdin = false;             // plan mode shows "(secret)" instead of the data
};

class SiteHost {
public:
    virtual ~SiteHost() = default;
    virtual bool planning() const noexcept = 0;
    virtual const HostProfile &profile() const noexcept = 0;

    // Run argv; a non-zero exit is WPH_ERROR with the program's stderr,
    // unless `check` is false.
    virtual ProcessResult run(const std::vector<std::string> &argv, const RunOptions &o = {}, bool check = true) = 0;
    // Written atomically with its final mode and owner from the start.
    virtual void write_file(const std::string &path, const std::string &data, mode_t mode, const Owner &owner,
                            bool secret = false) = 0;
    virtual void make_dir(const std::string &path, mode_t mode, const Owner &owner) = 0;
    // Both succeed when the path is already gone.
    virtual void remove_file(const std::string &path) = 0;
    virtual void remove_tree(const std::string &path) = 0;
    virtual bool exists(const std::string &path) = 0;
    virtual std::optional<std::string> read_file(const std::string &path) = 0;
    // Populate dst (which exists) from the tree src: regular files are hard
    // links when `link` (falling back to copies across file systems), else
    // copies; directories are created with the owner; symlinks are followed
    // and dangling ones skipped. `skip` lists names relative to src.
    virtual void install_tree(const std::string &src, const std::string &dst, const Owner &owner, bool link,
                              const std::vector<std::string> &skip) = 0;
    // Change owner and group of a whole tree (not following symlinks).
    virtual void chown_tree(const std::string &path, const Owner &owner) = 0;
    // SQL as the database admin, each statement in order. `redacted` is what
    // plan mode and error messages show (passwords replaced).
    virtual void sql(const std::vector<std::string> &statements, const std::vector<std::string> &redacted) = 0;
    virtual std::vector<std::vector<std::string>> query(const std::string &statement) = 0;
    // Whether a user or group exists on the host.
    virtual bool user_exists(const std::string &name) = 0;
    virtual bool group_exists(const std::string &name) = 0;
    // Send a signal to the process whose pid is in pid_file. False if the
    // file is missing or the process is gone. With wait_new_child, returns
    // once the process has new children and none of its old ones (nginx's
    // workers after a reload), or after 5 s.
    virtual bool signal_pid_file(const std::string &pid_file, int sig, bool wait_new_child = false) = 0;
    virtual void rename(const std::string &from, const std::string &to) = 0;
    // Fetch a URL (TLS verified) into a file.
    virtual void download(const std::string &url, const std::string &path) = 0;
    // Delete every Redis key starting with prefix (SCAN + UNLINK).
    virtual void redis_delete_prefix(const std::string &prefix, int database) = 0;

    // What plan mode recorded (empty for LocalHost).
    virtual boost::json::array actions() const { return {}; }
};

std::unique_ptr<SiteHost> make_local_host(const HostProfile &p, const CancelToken *cancel);
std::unique_ptr<SiteHost> make_plan_host(const HostProfile &p);

}  // namespace wph::site
