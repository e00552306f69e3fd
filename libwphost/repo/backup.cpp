#include <algorithm>
#include <atomic>
#include <thread>
#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <map>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "engine/error.hpp"
#include "engine/job.hpp"
#include "repo/ops.hpp"
#include "repo/task_pool.hpp"

namespace wph::repo {

bool pattern_matches(const std::string &pattern, const std::string &path) {
    if (pattern.empty()) return false;
    if (pattern[0] == '/') {
        // Anchored: the pattern matches the path or one of its parents.
        std::string p = path;
        for (;;) {
            if (::fnmatch(pattern.c_str(), p.c_str(), FNM_PATHNAME) == 0) return true;
            auto slash = p.rfind('/');
            if (slash == 0 || slash == std::string::npos) return false;
            p.resize(slash);
        }
    }
    // Unanchored: the pattern matches any trailing run of path components.
    for (std::size_t pos = 0; pos != std::string::npos; pos = path.find('/', pos + 1)) {
        std::string tail = path.substr(pos + (path[pos] == '/' ? 1 : 0));
        // Match the tail, or the tail cut at any later component (a directory and all below).
        std::string t = tail;
        for (;;) {
            if (::fnmatch(pattern.c_str(), t.c_str(), FNM_PATHNAME) == 0) return true;
            auto slash = t.rfind('/');
            if (slash == std::string::npos) break;
            t.resize(slash);
        }
    }
    return false;
}

namespace {

std::string clean_path(const std::string &in) {
    std::string abs = in;
    if (abs.empty()) raise(WPH_EINVALID, "repo", "empty backup path");
    if (abs[0] != '/') {
        char cwd[4096];
        if (!::getcwd(cwd, sizeof cwd)) raise(WPH_EIO, "repo", "getcwd: " + errno_text(errno));
        abs = std::string(cwd) + "/" + abs;
    }
    std::vector<std::string> parts;
    std::size_t pos = 0;
    while (pos <= abs.size()) {
        auto next = abs.find('/', pos);
        if (next == std::string::npos) next = abs.size();
        std::string part = abs.substr(pos, next - pos);
        if (part == "..") {
            if (!parts.empty()) parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        pos = next + 1;
    }
    std::string out;
    for (auto &p : parts) out += "/" + p;
    return out.empty() ? "/" : out;
}

class NameCache {
public:
    const std::string &user(uid_t uid) {
        auto it = users_.find(uid);
        if (it != users_.end()) return it->second;
        struct passwd pw{}, *res = nullptr;
        char buf[4096];
        std::string name;
        if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res) name = res->pw_name;
        return users_[uid] = name;
    }
    const std::string &group(gid_t gid) {
        auto it = groups_.find(gid);
        if (it != groups_.end()) return it->second;
        struct group gr{}, *res = nullptr;
        char buf[4096];
        std::string name;
        if (getgrgid_r(gid, &gr, buf, sizeof buf, &res) == 0 && res) name = res->gr_name;
        return groups_[gid] = name;
    }

private:
    std::map<uid_t, std::string> users_;
    std::map<gid_t, std::string> groups_;
};

// Compresses, encrypts and stores chunks on worker threads while the
// archiver goes on reading and chunking. The bounded queue caps the memory.
class BlobSaver {
public:
    BlobSaver(Repository &repo, unsigned workers) : repo_(repo), pool_(workers, workers * 2) {}
    void submit(std::string chunk, const Id &id) {
        pool_.submit([this, chunk = std::move(chunk), id] {
            if (auto n = repo_.save_blob(BlobType::data, chunk, id)) {
                blobs_++;
                bytes_ += n;
            }
        });
    }
    // Wait until everything submitted is stored; rethrow a worker's error.
    void wait_all() { pool_.wait_all(); }
    std::uint64_t blobs_added() const { return blobs_.load(); }
    std::uint64_t bytes_added() const { return bytes_.load(); }

private:
    Repository &repo_;
    std::atomic<std::uint64_t> blobs_{0}, bytes_{0};
    TaskPool pool_;  // last: joined before the counters go
};

// Counts the files and bytes to back up, alongside the archiver, so
// progress can show totals and an ETA early.
class Scanner {
public:
    Scanner(std::vector<std::string> paths, const std::vector<std::string> &excludes)
        : paths_(std::move(paths)), excludes_(excludes), thread_([this] { run(); }) {}
    ~Scanner() {
        stop_ = true;
        thread_.join();
    }
    std::uint64_t files() const { return files_.load(); }
    std::uint64_t bytes() const { return bytes_.load(); }
    bool done() const { return done_.load(); }

private:
    void run() {
        for (auto &p : paths_) walk(p);
        done_ = true;
    }
    void walk(const std::string &path) {
        if (stop_) return;
        for (auto &x : excludes_)
            if (pattern_matches(x, path)) return;
        struct stat st{};
        if (::lstat(path.c_str(), &st) != 0) return;
        if (S_ISREG(st.st_mode)) {
            files_++;
            bytes_ += static_cast<std::uint64_t>(st.st_size);
        } else if (S_ISDIR(st.st_mode)) {
            DIR *d = ::opendir(path.c_str());
            if (!d) return;
            std::vector<std::string> names;
            while (auto *e = ::readdir(d)) {
                std::string n = e->d_name;
                if (n != "." && n != "..") names.push_back(n);
            }
            ::closedir(d);
            for (auto &n : names) walk(path == "/" ? "/" + n : path + "/" + n);
        }
    }
    std::vector<std::string> paths_;
    const std::vector<std::string> &excludes_;
    std::atomic<bool> stop_{false}, done_{false};
    std::atomic<std::uint64_t> files_{0}, bytes_{0};
    std::thread thread_;
};

class Archiver {
public:
    Archiver(Repository &repo, const BackupOptions &opts, Job *job) : repo_(repo), opts_(opts), job_(job) {}

    BackupResult run() {
        BackupResult res;
        const auto host = opts_.hostname.empty() ? this_host() : opts_.hostname;
        Snapshot snap;
        snap.time = opts_.time ? *opts_.time : time_now();
        snap.hostname = host;
        snap.username = user_name();
        snap.uid = ::getuid();
        snap.gid = ::getgid();
        snap.tags = opts_.tags;
        snap.excludes = opts_.excludes;

        std::vector<Node> root;
        if (opts_.read) {
            if (opts_.stdin_filename.empty() || opts_.stdin_filename.find('/') != std::string::npos)
                raise(WPH_EINVALID, "repo", "stdin_filename must be a plain file name, got \"" + opts_.stdin_filename + "\"");
            snap.paths = {"/" + opts_.stdin_filename};
            root.push_back(stream_node());
        } else {
            if (opts_.paths.empty()) raise(WPH_EINVALID, "repo", "nothing to back up: no paths given");
            // Like restic, a target is stored under its full path: the root tree
            // holds "srv", whose tree holds "www", ..., down to the target.
            for (auto &p : opts_.paths) {
                auto clean = clean_path(p);
                struct stat st{};
                if (::lstat(clean.c_str(), &st) != 0)
                    raise(errno == ENOENT ? WPH_ENOTFOUND : WPH_EIO, "repo", "cannot back up " + clean + ": " + errno_text(errno));
                snap.paths.push_back(clean);
                VNode *v = &vroot_;
                std::size_t pos = 1;
                while (clean != "/" && pos <= clean.size()) {
                    auto next = clean.find('/', pos);
                    if (next == std::string::npos) next = clean.size();
                    auto name = clean.substr(pos, next - pos);
                    auto &child = v->children[name];
                    child.path = clean.substr(0, next);
                    v = &child;
                    pos = next + 1;
                }
                v->target = true;
            }
            std::sort(snap.paths.begin(), snap.paths.end());
            snap.paths.erase(std::unique(snap.paths.begin(), snap.paths.end()), snap.paths.end());
            load_parent(snap, host, res);
            scanner_ = std::make_unique<Scanner>(snap.paths, opts_.excludes);
            if (vroot_.target) {
                snap.tree = save_dir("/", parent_tree_);
            } else {
                auto tree = encode_tree(save_virtual(vroot_, parent_tree_));
                snap.tree = sha256(tree);
                count_added(repo_.save_blob(BlobType::tree, tree, snap.tree));
            }
        }
        if (opts_.read) {
            saver_.wait_all();
            auto tree = encode_tree(root);
            snap.tree = sha256(tree);
            count_added(repo_.save_blob(BlobType::tree, tree, snap.tree));
        }
        saver_.wait_all();
        stats_.blobs_added += saver_.blobs_added();
        stats_.bytes_added += saver_.bytes_added();
        if (job_) job_->report("saving index", 0, 0);
        repo_.flush();
        auto id = repo_.save_unpacked(FileType::snapshot, encode_snapshot(snap));
        res.snapshot_id = to_hex(id);
        res.snapshot = snap;
        res.stats = stats_;
        return res;
    }

private:
    static std::string this_host() {
        char h[256] = {0};
        ::gethostname(h, sizeof h - 1);
        return h;
    }
    std::string user_name() { return names_.user(::getuid()); }

    void load_parent(Snapshot &snap, const std::string &host, BackupResult &res) {
        if (opts_.force) return;
        std::optional<std::pair<std::string, Snapshot>> best;
        if (opts_.parent) {
            auto id = repo_.resolve(FileType::snapshot, *opts_.parent);
            best.emplace(id, decode_snapshot(repo_.load_unpacked(FileType::snapshot, id)));
        } else {
            for (auto &[id, s] : repo_.snapshots()) {
                if (s.hostname != host || snap.time < s.time) continue;
                bool covers = std::all_of(snap.paths.begin(), snap.paths.end(), [&](const std::string &p) {
                    return std::find(s.paths.begin(), s.paths.end(), p) != s.paths.end();
                });
                if (covers && (!best || !(s.time < best->second.time))) best.emplace(id, s);
            }
        }
        if (!best) return;
        Id pid{};
        parse_id(best->first, pid);
        snap.parent = pid;
        res.parent_id = best->first;
        parent_tree_ = best->second.tree;
    }

    // The directories leading to the targets: only the entries on the way
    // are stored, each with the metadata of the real directory.
    struct VNode {
        std::string path;
        bool target = false;
        std::map<std::string, VNode> children;
    };

    std::map<std::string, Node> load_nodes(const std::optional<Id> &tree) {
        std::map<std::string, Node> out;
        if (!tree) return out;
        try {
            for (auto &n : decode_tree(repo_.load_blob(BlobType::tree, *tree))) out[n.name] = std::move(n);
        } catch (const Error &) {
            // An unreadable parent only costs re-reading files.
        }
        return out;
    }

    std::vector<Node> save_virtual(const VNode &v, const std::optional<Id> &parent_tree) {
        auto parent_nodes = load_nodes(parent_tree);
        std::vector<Node> nodes;
        for (auto &[name, child] : v.children) {
            auto pit = parent_nodes.find(name);
            const Node *pn = pit == parent_nodes.end() ? nullptr : &pit->second;
            if (child.target) {
                if (auto n = save_path(child.path, name, pn)) nodes.push_back(std::move(*n));
                continue;
            }
            struct stat st{};
            if (::lstat(child.path.c_str(), &st) != 0)
                raise(WPH_EIO, "repo", "cannot read " + child.path + ": " + errno_text(errno));
            Node n = base_node(name, st);
            n.type = NodeType::dir;
            std::optional<Id> sub;
            if (pn && pn->type == NodeType::dir) sub = pn->subtree;
            auto tree = encode_tree(save_virtual(child, sub));
            n.subtree = sha256(tree);
            count_added(repo_.save_blob(BlobType::tree, tree, *n.subtree));
            nodes.push_back(std::move(n));
        }
        return nodes;
    }

    void count_added(std::uint64_t n) {
        if (n) {
            stats_.blobs_added++;
            stats_.bytes_added += n;
        }
    }

    bool excluded(const std::string &path) {
        for (auto &p : opts_.excludes)
            if (pattern_matches(p, path)) return true;
        return false;
    }

    Node base_node(const std::string &name, const struct stat &st) {
        Node n;
        n.name = name;
        n.mode = go_mode_from_posix(st.st_mode);
        n.mtime = time_from(st.st_mtim.tv_sec, static_cast<std::int32_t>(st.st_mtim.tv_nsec));
        n.atime = time_from(st.st_atim.tv_sec, static_cast<std::int32_t>(st.st_atim.tv_nsec));
        n.ctime = time_from(st.st_ctim.tv_sec, static_cast<std::int32_t>(st.st_ctim.tv_nsec));
        n.uid = st.st_uid;
        n.gid = st.st_gid;
        n.user = names_.user(st.st_uid);
        n.group = names_.group(st.st_gid);
        n.inode = st.st_ino;
        n.device_id = st.st_dev;
        return n;
    }

    void read_xattrs(const std::string &path, Node &n) {
        char names[65536];
        ssize_t len = ::llistxattr(path.c_str(), names, sizeof names);
        if (len <= 0) return;
        for (ssize_t i = 0; i < len;) {
            std::string name(names + i);
            i += static_cast<ssize_t>(name.size()) + 1;
            std::string value(65536, '\0');
            ssize_t vl = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
            if (vl < 0) continue;
            value.resize(static_cast<std::size_t>(vl));
            n.xattrs.push_back({name, value});
        }
    }

    std::optional<Node> save_path(const std::string &path, const std::string &name, const Node *parent) {
        if (job_) job_->cancel_token().check("backup");
        if (excluded(path)) return std::nullopt;
        struct stat st{};
        if (::lstat(path.c_str(), &st) != 0) {
            if (errno != ENOENT) stats_.errors.push_back(path + ": " + errno_text(errno));
            return std::nullopt;  // vanished since the directory was listed
        }
        Node n = base_node(name, st);
        switch (st.st_mode & S_IFMT) {
        case S_IFREG:
            n.type = NodeType::file;
            n.links = st.st_nlink;
            n.size = static_cast<std::uint64_t>(st.st_size);
            read_xattrs(path, n);
            if (!save_file(path, st, n, parent)) return std::nullopt;
            break;
        case S_IFDIR: {
            n.type = NodeType::dir;
            read_xattrs(path, n);
            std::optional<Id> parent_sub;
            if (parent && parent->type == NodeType::dir && parent->subtree) parent_sub = parent->subtree;
            n.subtree = save_dir(path, parent_sub);
            stats_.dirs++;
            break;
        }
        case S_IFLNK: {
            n.type = NodeType::symlink;
            n.links = st.st_nlink;
            std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
            ssize_t l = ::readlink(path.c_str(), target.data(), target.size());
            if (l < 0) {
                stats_.errors.push_back(path + ": " + errno_text(errno));
                return std::nullopt;
            }
            target.resize(static_cast<std::size_t>(l));
            n.linktarget = target;
            stats_.others++;
            break;
        }
        case S_IFBLK:
        case S_IFCHR:
            n.type = S_ISBLK(st.st_mode) ? NodeType::dev : NodeType::chardev;
            n.links = st.st_nlink;
            n.device = st.st_rdev;
            stats_.others++;
            break;
        case S_IFIFO:
            n.type = NodeType::fifo;
            stats_.others++;
            break;
        default:
            return std::nullopt;  // sockets are not stored (as restic does)
        }
        return n;
    }

    Id save_dir(const std::string &path, const std::optional<Id> &parent_tree) {
        auto parent_nodes = load_nodes(parent_tree);
        std::vector<std::string> names;
        DIR *d = ::opendir(path.c_str());
        if (!d) {
            stats_.errors.push_back(path + ": " + errno_text(errno));
        } else {
            while (auto *e = ::readdir(d)) {
                std::string n = e->d_name;
                if (n != "." && n != "..") names.push_back(n);
            }
            ::closedir(d);
        }
        std::sort(names.begin(), names.end());
        std::vector<Node> nodes;
        for (auto &n : names) {
            auto pit = parent_nodes.find(n);
            auto child = save_path(path == "/" ? "/" + n : path + "/" + n, n, pit == parent_nodes.end() ? nullptr : &pit->second);
            if (child) nodes.push_back(std::move(*child));
        }
        auto tree = encode_tree(nodes);
        Id id = sha256(tree);
        count_added(repo_.save_blob(BlobType::tree, tree, id));
        return id;
    }

    bool unchanged(const struct stat &st, const Node *p) {
        if (!p || p->type != NodeType::file) return false;
        if (p->size != static_cast<std::uint64_t>(st.st_size) || p->inode != st.st_ino) return false;
        if (p->mtime.sec != st.st_mtim.tv_sec || p->mtime.nsec != st.st_mtim.tv_nsec) return false;
        if (p->ctime.sec != st.st_ctim.tv_sec || p->ctime.nsec != st.st_ctim.tv_nsec) return false;
        return std::all_of(p->content.begin(), p->content.end(), [&](const Id &id) { return repo_.has_blob(BlobType::data, id); });
    }

    bool save_file(const std::string &path, const struct stat &st, Node &n, const Node *parent) {
        stats_.bytes_total += n.size;
        if (unchanged(st, parent)) {
            n.content = parent->content;
            stats_.files_unmodified++;
            files_done_++;
            bytes_done_ += n.size;
            return true;
        }
        current_bytes_ = 0;
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOATIME);
        if (fd < 0 && errno == EPERM) fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            if (errno != ENOENT) stats_.errors.push_back(path + ": " + errno_text(errno));
            return false;
        }
        std::uint64_t size = 0;
        try {
            chunk_stream([&](char *buf, std::size_t cap) {
                for (;;) {
                    ssize_t r = ::read(fd, buf, cap);
                    if (r >= 0) return static_cast<std::size_t>(r);
                    if (errno != EINTR) raise(WPH_EIO, "repo", "cannot read " + path + ": " + errno_text(errno));
                }
            }, n.content, size, path.c_str());
        } catch (...) {
            ::close(fd);
            throw;
        }
        ::close(fd);
        // The file may have changed while it was read: record what was read.
        n.size = size;
        files_done_++;
        bytes_done_ += size;
        current_bytes_ = 0;
        (parent && parent->type == NodeType::file ? stats_.files_changed : stats_.files_new)++;
        return true;
    }

    Node stream_node() {
        Node n;
        n.name = opts_.stdin_filename;
        n.type = NodeType::file;
        n.mode = 0644;
        n.mtime = n.atime = n.ctime = time_now();
        n.uid = ::getuid();
        n.gid = ::getgid();
        n.user = names_.user(n.uid);
        n.group = names_.group(n.gid);
        std::uint64_t size = 0;
        chunk_stream(opts_.read, n.content, size, opts_.stdin_filename.c_str());
        n.size = size;
        stats_.files_new++;
        stats_.bytes_total += size;
        return n;
    }

    // Read a stream through the chunker, saving each chunk as a data blob.
    template <class Read>
    void chunk_stream(Read &&read, std::vector<Id> &content, std::uint64_t &size, const char *what) {
        Chunker ch = repo_.make_chunker();
        std::string chunk;
        chunk.reserve(Chunker::kMinSize * 2);
        if (read_buf_.empty()) read_buf_.resize(1u << 20);  // one buffer for all files
        std::string &buf = read_buf_;
        auto emit = [&] {
            Id id = sha256(chunk);
            content.push_back(id);
            std::string full;
            full.swap(chunk);
            chunk.reserve(Chunker::kMinSize * 2);
            saver_.submit(std::move(full), id);
        };
        for (;;) {
            if (job_) job_->cancel_token().check(std::string("backup of ") + what);
            std::size_t got = read(buf.data(), buf.size());
            if (got == 0) break;
            size += got;
            stats_.bytes_processed += got;
            current_bytes_ += got;
            std::size_t off = 0;
            while (off < got) {
                bool cut = false;
                std::size_t n = ch.scan(reinterpret_cast<const std::uint8_t *>(buf.data()) + off, got - off, cut);
                chunk.append(buf.data() + off, n);
                off += n;
                if (cut) emit();
            }
            progress(what);
        }
        if (!chunk.empty()) emit();
    }

    void progress(const char *item) {
        if (!job_) return;
        std::uint64_t files_total = scanner_ ? scanner_->files() : 0, bytes_total = scanner_ ? scanner_->bytes() : 0;
        // Until the scan is complete the totals are only a lower bound.
        if (scanner_ && !scanner_->done()) files_total = bytes_total = 0;
        job_->report_files("backup", files_done_, files_total, bytes_done_ + current_bytes_, bytes_total, item);
    }

    Repository &repo_;
    const BackupOptions &opts_;
    Job *job_;
    NameCache names_;
    BackupStats stats_;
    std::optional<Id> parent_tree_;
    VNode vroot_;
    BlobSaver saver_{repo_, TaskPool::cores()};
    std::unique_ptr<Scanner> scanner_;
    std::uint64_t files_done_ = 0, bytes_done_ = 0, current_bytes_ = 0;
    std::string read_buf_;
};

}  // namespace

BackupResult backup(Repository &repo, const BackupOptions &opts, Job *job) {
    repo.lock(false);
    try {
        auto r = Archiver(repo, opts, job).run();
        repo.unlock();
        return r;
    } catch (...) {
        // Packs already written stay (unreferenced, harmless); the index of
        // finished packs is written so a later backup can reuse them.
        try {
            repo.flush();
        } catch (...) {
        }
        try {
            repo.unlock();
        } catch (...) {
        }
        throw;
    }
}

}  // namespace wph::repo
