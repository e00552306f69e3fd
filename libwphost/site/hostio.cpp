#include "site/hostio.hpp"

#include <mysql.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <mutex>
#include <pwd.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/error.hpp"
#include "engine/job.hpp"
#include "host/net.hpp"
#include "util/download.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace wph::site {

namespace {

namespace json = boost::json;

[[noreturn]] void io_fail(const std::string &what, const std::string &path, int err) {
    raise(WPH_EIO, "site", what + " " + path + ": " + errno_text(err));
}

struct Fd {
    int fd = -1;
    explicit Fd(int f) : fd(f) {}
    ~Fd() { if (fd >= 0) ::close(fd); }
};

std::string mode_str(mode_t m) {
    char b[8];
    std::snprintf(b, sizeof b, "%04o", static_cast<unsigned>(m & 07777));
    return b;
}

std::string owner_str(const Owner &o) {
    return (o.user.empty() ? "root" : o.user) + ":" + (o.group.empty() ? (o.user.empty() ? "root" : o.user) : o.group);
}

// Refuse to delete paths that are plainly not a site's: "/", "/srv", ...
void check_removable(const std::string &path) {
    int depth = 0;
    for (std::size_t i = 1; i < path.size(); ++i)
        if (path[i] == '/' && path[i - 1] != '/') ++depth;
    if (path.empty() || path[0] != '/' || depth < 2 || path.find("/../") != std::string::npos || path.ends_with("/.."))
        raise(WPH_EINVALID, "site", "refusing to remove " + path + ": not a path the engine created");
}

std::once_flag mysql_once;

// Count the replies in a RESP buffer; -1 when one is incomplete.
long resp_skip(const std::string &b, std::size_t &i) {
    if (i >= b.size()) return -1;
    char t = b[i];
    auto eol = b.find("\r\n", i);
    if (eol == std::string::npos) return -1;
    std::string head = b.substr(i + 1, eol - i - 1);
    i = eol + 2;
    if (t == '+' || t == '-' || t == ':') return 1;
    long n = std::atol(head.c_str());
    if (t == '$') {
        if (n < 0) return 1;
        if (b.size() < i + static_cast<std::size_t>(n) + 2) return -1;
        i += static_cast<std::size_t>(n) + 2;
        return 1;
    }
    if (t == '*') {
        for (long k = 0; k < n; ++k)
            if (resp_skip(b, i) < 0) return -1;
        return 1;
    }
    return 1;
}

bool resp_complete(const std::string &b, int replies) {
    std::size_t i = 0;
    for (int k = 0; k < replies; ++k)
        if (resp_skip(b, i) < 0) return false;
    return true;
}

std::string resp_cmd(const std::vector<std::string> &args) {
    std::string o = "*" + std::to_string(args.size()) + "\r\n";
    for (auto &a : args) o += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    return o;
}

// Parse "*2\r\n$<cursor>\r\n*<n>\r\n$..key.." after a "+OK" from SELECT.
void parse_scan(const std::string &b, std::string &cursor, std::vector<std::string> &keys) {
    std::size_t i = 0;
    auto line = [&]() {
        auto eol = b.find("\r\n", i);
        if (eol == std::string::npos) raise(WPH_EIO, "site", "redis: truncated reply");
        std::string l = b.substr(i, eol - i);
        i = eol + 2;
        return l;
    };
    auto bulk = [&]() {
        auto h = line();
        if (h.empty() || h[0] != '$') raise(WPH_EIO, "site", "redis: unexpected reply " + h);
        auto n = static_cast<std::size_t>(std::atol(h.c_str() + 1));
        std::string v = b.substr(i, n);
        i += n + 2;
        return v;
    };
    auto ok = line();
    if (ok.empty() || ok[0] == '-') raise(WPH_EIO, "site", "redis: " + ok.substr(ok.empty() ? 0 : 1));
    auto arr = line();
    if (arr.empty() || arr[0] == '-') raise(WPH_EIO, "site", "redis: " + arr.substr(arr.empty() ? 0 : 1));
    cursor = bulk();
    auto n = line();
    long count = std::atol(n.c_str() + 1);
    for (long k = 0; k < count; ++k) keys.push_back(bulk());
}

class LocalHost final : public SiteHost {
public:
    LocalHost(const HostProfile &p, const CancelToken *cancel) : p_(p), cancel_(cancel) {}
    bool planning() const noexcept override { return false; }
    const HostProfile &profile() const noexcept override { return p_; }

    ProcessResult run(const std::vector<std::string> &argv, const RunOptions &o, bool check) override {
        ProcessOptions po;
        po.timeout = o.timeout.count() > 0 ? o.timeout : std::chrono::milliseconds(p_.command_timeout_ms);
        po.cancel = cancel_;
        po.stdin_data = o.stdin_data;
        po.env = o.env;
        po.cwd = o.cwd;
        std::vector<std::string> full;
        if (!o.as_user.empty()) {
            // Drop to the site's user; its environment starts clean.
            full = {"/usr/bin/setpriv", "--reuid=" + o.as_user, "--regid=" + o.as_user, "--init-groups",
                    "--inh-caps=-all", "--"};
            po.clean_env = true;
            auto pw = lookup_user(o.as_user);
            po.env.push_back("HOME=" + (pw ? *pw : std::string("/")));
            po.env.push_back("USER=" + o.as_user);
        }
        full.insert(full.end(), argv.begin(), argv.end());
        auto r = run_process(full, po);
        if (check && !r.ok()) {
            std::string why = std::string(util::trim(r.err.empty() ? r.out : r.err));
            if (why.size() > 2000) why = why.substr(0, 2000) + "...";
            raise(WPH_ERROR, "site", argv[0] + " failed (" +
                                         (r.exit_code >= 0 ? "exit " + std::to_string(r.exit_code)
                                                           : "signal " + std::to_string(r.term_signal)) +
                                         (why.empty() ? ")" : "): " + why));
        }
        return r;
    }

    void write_file(const std::string &path, const std::string &data, mode_t mode, const Owner &owner, bool) override {
        auto [uid, gid] = ids(owner);
        util::write_file_atomic(path, data, mode, "site", uid, gid);
    }

    void make_dir(const std::string &path, mode_t mode, const Owner &owner) override {
        int rc = ::mkdir(path.c_str(), mode);
        if (rc != 0 && errno == ENOENT) {
            // Missing parents (profile directories such as /etc/wphost) are root's, 0755.
            auto slash = path.rfind('/');
            if (slash != std::string::npos && slash > 0) util::make_dirs(path.substr(0, slash), 0755, "site");
            rc = ::mkdir(path.c_str(), mode);
        }
        if (rc != 0 && errno != EEXIST) io_fail("cannot create directory", path, errno);
        struct stat st;
        if (::lstat(path.c_str(), &st) != 0) io_fail("cannot stat", path, errno);
        if (!S_ISDIR(st.st_mode)) raise(WPH_EEXISTS, "site", path + " exists and is not a directory");
        auto [uid, gid] = ids(owner);
        if (::chmod(path.c_str(), mode) != 0) io_fail("cannot chmod", path, errno);
        if (::lchown(path.c_str(), uid, gid) != 0) io_fail("cannot chown", path, errno);
    }

    void remove_file(const std::string &path) override {
        if (::unlink(path.c_str()) != 0 && errno != ENOENT) io_fail("cannot remove", path, errno);
    }

    void remove_tree(const std::string &path) override {
        check_removable(path);
        struct stat st;
        if (::lstat(path.c_str(), &st) != 0) {
            if (errno == ENOENT) return;
            io_fail("cannot stat", path, errno);
        }
        if (!S_ISDIR(st.st_mode)) return remove_file(path);
        remove_dir_at(AT_FDCWD, path, path);
    }

    bool exists(const std::string &path) override {
        struct stat st;
        return ::lstat(path.c_str(), &st) == 0;
    }

    std::optional<std::string> read_file(const std::string &path) override { return util::read_file_if_exists(path); }

    void install_tree(const std::string &src, const std::string &dst, const Owner &owner, bool link,
                      const std::vector<std::string> &skip) override {
        auto [uid, gid] = ids(owner);
        copy_dir(src, dst, "", uid, gid, link, skip);
    }

    void chown_tree(const std::string &path, const Owner &owner) override {
        auto [uid, gid] = ids(owner);
        chown_rec(path, uid, gid);
    }

    void sql(const std::vector<std::string> &statements, const std::vector<std::string> &redacted) override {
        MYSQL *db = connect();
        for (std::size_t i = 0; i < statements.size(); ++i) {
            if (mysql_real_query(db, statements[i].data(), statements[i].size()) != 0) {
                std::string err = mysql_error(db);
                mysql_close(db);
                raise(WPH_ERROR, "db", "SQL failed: " + (i < redacted.size() ? redacted[i] : std::string("(statement)")) + ": " + err);
            }
            if (MYSQL_RES *r = mysql_store_result(db)) mysql_free_result(r);
        }
        mysql_close(db);
    }

    std::vector<std::vector<std::string>> query(const std::string &statement) override {
        MYSQL *db = connect();
        std::vector<std::vector<std::string>> rows;
        if (mysql_real_query(db, statement.data(), statement.size()) != 0) {
            std::string err = mysql_error(db);
            mysql_close(db);
            raise(WPH_ERROR, "db", "SQL failed: " + statement + ": " + err);
        }
        if (MYSQL_RES *r = mysql_store_result(db)) {
            unsigned nf = mysql_num_fields(r);
            while (MYSQL_ROW row = mysql_fetch_row(r)) {
                auto *len = mysql_fetch_lengths(r);
                std::vector<std::string> v;
                for (unsigned k = 0; k < nf; ++k) v.emplace_back(row[k] ? std::string(row[k], len[k]) : std::string());
                rows.push_back(std::move(v));
            }
            mysql_free_result(r);
        }
        mysql_close(db);
        return rows;
    }

    bool user_exists(const std::string &name) override { return lookup_user(name).has_value(); }
    bool group_exists(const std::string &name) override {
        struct group g, *res = nullptr;
        char buf[16384];
        return ::getgrnam_r(name.c_str(), &g, buf, sizeof buf, &res) == 0 && res;
    }

    bool signal_pid_file(const std::string &pid_file, int sig, bool wait_new_child) override {
        auto text = util::read_file_if_exists(pid_file, 64);
        if (!text) return false;
        std::uint64_t pid = 0;
        if (!util::parse_u64(util::trim(*text), pid) || pid < 2 || pid > 4194304) return false;
        auto before = children(static_cast<pid_t>(pid));
        if (::kill(static_cast<pid_t>(pid), sig) != 0) return false;
        if (!wait_new_child) return true;
        // nginx starts new workers at once but lets the old ones answer
        // for about 100 ms more: wait until every old one has gone.
        auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (std::chrono::steady_clock::now() < end) {
            auto now = children(static_cast<pid_t>(pid));
            bool old_left = false, fresh = false;
            for (auto c : now) {
                if (std::find(before.begin(), before.end(), c) != before.end()) old_left = true;
                else fresh = true;
            }
            if (fresh && !old_left) return true;
            if (cancel_) cancel_->check("waiting for a reload");
            ::usleep(5000);
        }
        return true;
    }

    void rename(const std::string &from, const std::string &to) override {
        if (::rename(from.c_str(), to.c_str()) != 0) io_fail("cannot rename " + from + " to", to, errno);
    }

    void download(const std::string &url, const std::string &path) override {
        util::download_to_file(url, path, std::chrono::seconds(600), cancel_);
    }

    void redis_delete_prefix(const std::string &prefix, int database) override {
        auto &r = p_.redis;
        auto timeout = std::chrono::milliseconds(p_.command_timeout_ms);
        std::string cursor = "0";
        do {
            std::string req = resp_cmd({"SELECT", std::to_string(database)}) +
                              resp_cmd({"SCAN", cursor, "MATCH", prefix + "*", "COUNT", "1000"});
            auto ex = net_exchange(r.host, r.port, r.socket, req, [](const std::string &b) { return resp_complete(b, 2); },
                                   timeout, cancel_, 64u << 20);
            if (!ex.error.empty()) raise(WPH_EIO, "site", "redis at " + where() + ": " + ex.error);
            std::vector<std::string> keys;
            parse_scan(ex.reply, cursor, keys);
            if (!keys.empty()) {
                std::vector<std::string> cmd{"UNLINK"};
                cmd.insert(cmd.end(), keys.begin(), keys.end());
                auto del = net_exchange(r.host, r.port, r.socket, resp_cmd({"SELECT", std::to_string(database)}) + resp_cmd(cmd),
                                        [](const std::string &b) { return resp_complete(b, 2); }, timeout, cancel_);
                if (!del.error.empty()) raise(WPH_EIO, "site", "redis at " + where() + ": " + del.error);
            }
        } while (cursor != "0");
    }

private:
    std::vector<pid_t> children(pid_t parent) {
        std::vector<pid_t> out;
        DIR *d = ::opendir(p_.proc_dir.c_str());
        if (!d) return out;
        while (auto *e = ::readdir(d)) {
            std::uint64_t pid = 0;
            if (!util::parse_u64(e->d_name, pid)) continue;
            auto stat = util::read_file_if_exists(p_.proc_dir + "/" + e->d_name + "/stat", 4096);
            if (!stat) continue;
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            auto close = stat->rfind(')');
            if (close == std::string::npos) continue;
            auto fields = util::split(std::string_view(*stat).substr(close + 2), ' ');
            std::uint64_t ppid = 0;
            if (fields.size() > 1 && util::parse_u64(fields[1], ppid) && static_cast<pid_t>(ppid) == parent)
                out.push_back(static_cast<pid_t>(pid));
        }
        ::closedir(d);
        return out;
    }

    std::string where() const { return p_.redis.socket.empty() ? p_.redis.host + ":" + std::to_string(p_.redis.port) : p_.redis.socket; }

    static std::optional<std::string> lookup_user(const std::string &name) {
        struct passwd pw, *res = nullptr;
        char buf[16384];
        if (::getpwnam_r(name.c_str(), &pw, buf, sizeof buf, &res) != 0 || !res) return std::nullopt;
        return std::string(pw.pw_dir);
    }

    std::pair<uid_t, gid_t> ids(const Owner &o) {
        uid_t uid = 0;
        gid_t gid = 0;
        if (!o.user.empty()) {
            struct passwd pw, *res = nullptr;
            char buf[16384];
            if (::getpwnam_r(o.user.c_str(), &pw, buf, sizeof buf, &res) != 0 || !res)
                raise(WPH_ENOTFOUND, "site", "no user " + o.user + " on this host");
            uid = pw.pw_uid;
            gid = pw.pw_gid;
        }
        if (!o.group.empty()) {
            struct group g, *res = nullptr;
            char buf[16384];
            if (::getgrnam_r(o.group.c_str(), &g, buf, sizeof buf, &res) != 0 || !res)
                raise(WPH_ENOTFOUND, "site", "no group " + o.group + " on this host");
            gid = g.gr_gid;
        }
        return {uid, gid};
    }

    MYSQL *connect() {
        if (cancel_) cancel_->check("a database step");
        std::call_once(mysql_once, [] { mysql_library_init(0, nullptr, nullptr); });
        const auto &m = p_.mysql;
        std::string password;
        if (!m.admin_password_file.empty()) {
            auto pw = util::read_file_if_exists(m.admin_password_file, 4096);
            if (!pw) raise(WPH_ENOTFOUND, "db", "admin password file " + m.admin_password_file + " not found");
            password = std::string(util::trim(*pw));
        }
        MYSQL *db = mysql_init(nullptr);
        if (!db) raise(WPH_ENOMEM, "db", "mysql_init failed");
        unsigned secs = static_cast<unsigned>(std::max(1, p_.command_timeout_ms / 1000));
        unsigned long_secs = std::max(60u, secs);
        mysql_optionsv(db, MYSQL_OPT_CONNECT_TIMEOUT, &secs);
        mysql_optionsv(db, MYSQL_OPT_READ_TIMEOUT, &long_secs);
        mysql_optionsv(db, MYSQL_OPT_WRITE_TIMEOUT, &long_secs);
        bool ok = mysql_real_connect(db, "localhost", m.admin_user.c_str(), password.empty() ? nullptr : password.c_str(),
                                     nullptr, 0, m.socket.c_str(), CLIENT_MULTI_RESULTS) != nullptr;
        std::fill(password.begin(), password.end(), '\0');
        if (!ok) {
            std::string err = mysql_error(db);
            mysql_close(db);
            raise(WPH_EIO, "db", "cannot connect to the database server at " + m.socket + " as " + m.admin_user + ": " + err);
        }
        mysql_set_character_set(db, "utf8mb4");
        return db;
    }

    void remove_dir_at(int parent, const std::string &name, const std::string &shown) {
        int fd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT) return;
            io_fail("cannot open", shown, errno);
        }
        DIR *d = ::fdopendir(fd);
        if (!d) { ::close(fd); io_fail("cannot read", shown, errno); }
        std::vector<std::pair<std::string, bool>> entries;
        while (auto *e = ::readdir(d)) {
            std::string n = e->d_name;
            if (n == "." || n == "..") continue;
            bool dir = e->d_type == DT_DIR;
            if (e->d_type == DT_UNKNOWN) {
                struct stat st;
                dir = ::fstatat(fd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
            }
            entries.emplace_back(std::move(n), dir);
        }
        for (auto &[n, dir] : entries) {
            if (dir) {
                remove_dir_at(fd, n, shown + "/" + n);
                if (::unlinkat(fd, n.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) { ::closedir(d); io_fail("cannot remove", shown + "/" + n, errno); }
            } else if (::unlinkat(fd, n.c_str(), 0) != 0 && errno != ENOENT) {
                ::closedir(d);
                io_fail("cannot remove", shown + "/" + n, errno);
            }
        }
        ::closedir(d);
        if (parent == AT_FDCWD && ::rmdir(name.c_str()) != 0 && errno != ENOENT) io_fail("cannot remove", shown, errno);
    }

    void copy_file(const std::string &from, const std::string &to, const struct stat &st, uid_t uid, gid_t gid, bool link) {
        if (cancel_) cancel_->check("copying WordPress's files");
        if (link) {
            if (::link(from.c_str(), to.c_str()) == 0) return;
            if (errno != EXDEV && errno != EPERM && errno != EMLINK) io_fail("cannot link " + from + " to", to, errno);
        }
        Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
        if (in.fd < 0) io_fail("cannot read", from, errno);
        mode_t mode = st.st_mode & 0755;
        Fd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
        if (out.fd < 0) io_fail("cannot create", to, errno);
        off_t left = st.st_size;
        while (left > 0) {
            ssize_t n = ::copy_file_range(in.fd, nullptr, out.fd, nullptr, static_cast<std::size_t>(left), 0);
            if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL))
                n = ::sendfile(out.fd, in.fd, nullptr, static_cast<std::size_t>(left));
            if (n < 0) {
                if (errno == EINTR) continue;
                io_fail("cannot copy into", to, errno);
            }
            if (n == 0) break;
            left -= n;
        }
        if (::fchmod(out.fd, mode) != 0 || ::fchown(out.fd, uid, gid) != 0) io_fail("cannot set owner of", to, errno);
    }

    void copy_dir(const std::string &src, const std::string &dst, const std::string &rel, uid_t uid, gid_t gid, bool link,
                  const std::vector<std::string> &skip) {
        DIR *d = ::opendir(src.c_str());
        if (!d) io_fail("cannot read directory", src, errno);
        std::vector<std::string> names;
        while (auto *e = ::readdir(d)) {
            std::string n = e->d_name;
            if (n != "." && n != "..") names.push_back(std::move(n));
        }
        ::closedir(d);
        for (auto &n : names) {
            std::string r = rel.empty() ? n : rel + "/" + n;
            bool skipped = false;
            for (auto &s : skip) skipped = skipped || s == r;
            if (skipped) continue;
            std::string from = src + "/" + n, to = dst + "/" + n;
            struct stat st;
            if (::stat(from.c_str(), &st) != 0) {
                if (errno == ENOENT || errno == ELOOP) continue;  // a dangling link
                io_fail("cannot stat", from, errno);
            }
            if (S_ISDIR(st.st_mode)) {
                if (::mkdir(to.c_str(), 0755) != 0 && errno != EEXIST) io_fail("cannot create directory", to, errno);
                if (::lchown(to.c_str(), uid, gid) != 0) io_fail("cannot chown", to, errno);
                copy_dir(from, to, r, uid, gid, link, skip);
            } else if (S_ISREG(st.st_mode)) {
                struct stat lst;
                // Hard links only to real files: a symlink's target may live
                // on another file system or belong to a package.
                bool is_link = ::lstat(from.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode);
                copy_file(from, to, st, uid, gid, link && !is_link);
            }
        }
    }

    void chown_rec(const std::string &path, uid_t uid, gid_t gid) {
        if (::lchown(path.c_str(), uid, gid) != 0) io_fail("cannot chown", path, errno);
        struct stat st;
        if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
        DIR *d = ::opendir(path.c_str());
        if (!d) io_fail("cannot read directory", path, errno);
        std::vector<std::string> names;
        while (auto *e = ::readdir(d)) {
            std::string n = e->d_name;
            if (n != "." && n != "..") names.push_back(std::move(n));
        }
        ::closedir(d);
        for (auto &n : names) chown_rec(path + "/" + n, uid, gid);
    }

    HostProfile p_;
    const CancelToken *cancel_;
};

class PlanHost final : public SiteHost {
public:
    explicit PlanHost(const HostProfile &p) : p_(p) {}
    bool planning() const noexcept override { return true; }
    const HostProfile &profile() const noexcept override { return p_; }

    ProcessResult run(const std::vector<std::string> &argv, const RunOptions &o, bool) override {
        json::array a;
        for (auto &x : argv) a.emplace_back(x);
        json::object rec{{"action", "run"}, {"argv", a}};
        if (!o.as_user.empty()) rec["as_user"] = o.as_user;
        if (!o.cwd.empty()) rec["cwd"] = o.cwd;
        if (!o.stdin_data.empty()) rec["stdin"] = o.secret_stdin ? std::string("(secret)") : o.stdin_data;
        actions_.push_back(std::move(rec));
        ProcessResult r;
        r.exit_code = 0;
        return r;
    }
    void write_file(const std::string &path, const std::string &data, mode_t mode, const Owner &owner, bool secret) override {
        json::object rec{{"action", "write"}, {"path", path}, {"mode", mode_str(mode)}, {"owner", owner_str(owner)}};
        if (secret) rec["secret"] = true;
        else rec["content"] = data;
        actions_.push_back(std::move(rec));
    }
    void make_dir(const std::string &path, mode_t mode, const Owner &owner) override {
        actions_.push_back(json::object{{"action", "mkdir"}, {"path", path}, {"mode", mode_str(mode)}, {"owner", owner_str(owner)}});
    }
    void remove_file(const std::string &path) override { actions_.push_back(json::object{{"action", "remove"}, {"path", path}}); }
    void remove_tree(const std::string &path) override {
        check_removable(path);
        actions_.push_back(json::object{{"action", "remove_tree"}, {"path", path}});
    }
    bool exists(const std::string &) override { return false; }
    std::optional<std::string> read_file(const std::string &) override { return std::nullopt; }
    void install_tree(const std::string &src, const std::string &dst, const Owner &owner, bool link,
                      const std::vector<std::string> &skip) override {
        json::array s;
        for (auto &x : skip) s.emplace_back(x);
        actions_.push_back(json::object{{"action", link ? "link_tree" : "copy_tree"}, {"from", src}, {"to", dst},
                                        {"owner", owner_str(owner)}, {"skip", s}});
    }
    void chown_tree(const std::string &path, const Owner &owner) override {
        actions_.push_back(json::object{{"action", "chown_tree"}, {"path", path}, {"owner", owner_str(owner)}});
    }
    void sql(const std::vector<std::string> &, const std::vector<std::string> &redacted) override {
        json::array a;
        for (auto &x : redacted) a.emplace_back(x);
        actions_.push_back(json::object{{"action", "sql"}, {"statements", a}});
    }
    std::vector<std::vector<std::string>> query(const std::string &) override { return {}; }
    bool user_exists(const std::string &) override { return false; }
    bool group_exists(const std::string &) override { return false; }
    bool signal_pid_file(const std::string &pid_file, int sig, bool) override {
        actions_.push_back(json::object{{"action", "signal"}, {"pid_file", pid_file}, {"signal", sigabbrev_np(sig)}});
        return true;
    }
    void rename(const std::string &from, const std::string &to) override {
        actions_.push_back(json::object{{"action", "rename"}, {"from", from}, {"to", to}});
    }
    void download(const std::string &url, const std::string &path) override {
        actions_.push_back(json::object{{"action", "download"}, {"url", url}, {"path", path}});
    }
    void redis_delete_prefix(const std::string &prefix, int database) override {
        actions_.push_back(json::object{{"action", "redis_delete_prefix"}, {"prefix", prefix}, {"database", database}});
    }
    json::array actions() const override { return actions_; }

private:
    HostProfile p_;
    json::array actions_;
};

}  // namespace

std::unique_ptr<SiteHost> make_local_host(const HostProfile &p, const CancelToken *cancel) {
    return std::make_unique<LocalHost>(p, cancel);
}
std::unique_ptr<SiteHost> make_plan_host(const HostProfile &p) { return std::make_unique<PlanHost>(p); }

}  // namespace wph::site
