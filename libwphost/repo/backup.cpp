#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
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
#include "repo/buffer.hpp"
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

// What the archiver hands to its worker threads: files to read, and chunks
// to hash and store. Chunks go first (they hold buffers); a file's reader
// gives its chunks away only while another worker has nothing to do, so
// each core normally reads a file of its own, and the last large file of a
// backup is still hashed and stored by every core.
struct DirState;
struct FileWork;

struct ChunkTask {
    FileWork *file = nullptr;
    std::size_t index = 0;
    Buffer buf;
    std::size_t len = 0;
};

class Workers {
public:
    Workers(unsigned n, std::function<void(FileWork *)> read, std::function<void(ChunkTask &)> store)
        : read_(std::move(read)), store_(std::move(store)) {
        for (unsigned i = 0; i < n; ++i) threads_.emplace_back([this] { run(); });
    }
    ~Workers() {
        {
            std::lock_guard<std::mutex> l(mu_);
            stop_ = true;
        }
        cv_.notify_all();
        for (auto &t : threads_) t.join();
    }
    // Queue a file; waits while many are queued (bounding what the walker
    // holds in memory). Rethrows a worker's error.
    void add_file(FileWork *f) {
        std::unique_lock<std::mutex> l(mu_);
        space_.wait(l, [&] { return files_.size() < 4 * threads_.size() || error_; });
        if (error_) std::rethrow_exception(error_);
        files_.push_back(f);
        cv_.notify_one();
    }
    void add_chunk(ChunkTask t) {
        {
            std::lock_guard<std::mutex> l(mu_);
            chunks_.push_back(std::move(t));
        }
        cv_.notify_one();
    }
    // Is a worker waiting for work (and none queued for it)?
    bool someone_idle() {
        std::lock_guard<std::mutex> l(mu_);
        return idle_ > chunks_.size();
    }
    void wait_all() {
        std::unique_lock<std::mutex> l(mu_);
        done_.wait(l, [&] { return (files_.empty() && chunks_.empty() && busy_ == 0) || (error_ && busy_ == 0); });
        if (error_) std::rethrow_exception(error_);
    }
    void check() {
        std::lock_guard<std::mutex> l(mu_);
        if (error_) std::rethrow_exception(error_);
    }
    void fail(std::exception_ptr e) {
        {
            std::lock_guard<std::mutex> l(mu_);
            if (!error_) error_ = e;
            files_.clear();
            chunks_.clear();
        }
        space_.notify_all();
        done_.notify_all();
    }

private:
    template <class F> void execute(F &&f) {
        try {
            if (!failed()) f();
        } catch (...) {
            fail(std::current_exception());
        }
        {
            std::lock_guard<std::mutex> l(mu_);
            --busy_;
        }
        done_.notify_all();
    }
    bool failed() {
        std::lock_guard<std::mutex> l(mu_);
        return error_ != nullptr;
    }
    void run() {
        for (;;) {
            ChunkTask chunk;
            FileWork *file = nullptr;
            {
                std::unique_lock<std::mutex> l(mu_);
                ++idle_;
                cv_.wait(l, [&] { return stop_ || !chunks_.empty() || !files_.empty(); });
                --idle_;
                if (chunks_.empty() && files_.empty()) return;
                if (!chunks_.empty()) {
                    chunk = std::move(chunks_.front());
                    chunks_.pop_front();
                } else {
                    file = files_.front();
                    files_.pop_front();
                    space_.notify_one();
                }
                ++busy_;
            }
            if (file) execute([&] { read_(file); });
            else execute([&] { store_(chunk); });
        }
    }

    std::function<void(FileWork *)> read_;
    std::function<void(ChunkTask &)> store_;
    std::mutex mu_;
    std::condition_variable cv_, space_, done_;
    std::deque<FileWork *> files_;
    std::deque<ChunkTask> chunks_;
    unsigned idle_ = 0, busy_ = 0;
    bool stop_ = false;
    std::exception_ptr error_;
    std::vector<std::thread> threads_;
};

// Reusable chunk buffers: a chunk can reach 8 MiB, and one more read block
// follows it in the buffer.
class ChunkBuffers {
public:
    static constexpr std::size_t kBlock = 256 * 1024;
    static constexpr std::size_t kCapacity = Chunker::kMaxSize + kBlock;
    explicit ChunkBuffers(unsigned limit) : limit_(limit) {}
    // A buffer, or an empty one when `limit` are out already and optional is set.
    Buffer take(bool optional) {
        {
            std::lock_guard<std::mutex> l(mu_);
            if (!free_.empty()) {
                Buffer b = std::move(free_.back());
                free_.pop_back();
                return b;
            }
            if (optional && made_ >= limit_) return {};
            ++made_;
        }
        return Buffer(kCapacity);
    }
    void give(Buffer b) {
        if (!b) return;
        std::lock_guard<std::mutex> l(mu_);
        free_.push_back(std::move(b));
    }

private:
    std::mutex mu_;
    std::vector<Buffer> free_;
    unsigned made_ = 0;
    const unsigned limit_;
};

// A directory whose tree is written once all its entries are complete: the
// walker's hold, files still being read and subdirectories still open each
// count one.
struct DirState {
    std::vector<Node> nodes;
    std::vector<std::uint8_t> skip;  // entries that vanished or could not be read
    std::atomic<std::size_t> pending{1};
    DirState *parent = nullptr;
    std::size_t slot = 0;
    std::optional<Id> id;  // the tree's ID once written
};

struct FileWork {
    DirState *dir = nullptr;
    std::size_t slot = 0;
    std::string path;
    struct stat st{};
    bool had_parent = false;  // the parent snapshot had a file here
    std::atomic<std::size_t> pending{1};  // the reader's hold + chunks given away
    std::mutex mu;
    std::vector<Id> content;
    std::uint64_t size = 0;
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
    Archiver(Repository &repo, const BackupOptions &opts, Job *job)
        : repo_(repo), opts_(opts), job_(job), buffers_(2 * TaskPool::cores() + 2) {}

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

        Workers workers(TaskPool::cores(), [this](FileWork *f) { read_file(f); }, [this](ChunkTask &t) { store_chunk(t); });
        workers_ = &workers;
        DirState *root = nullptr;
        try {
            if (opts_.read) {
                if (opts_.stdin_filename.empty() || opts_.stdin_filename.find('/') != std::string::npos)
                    raise(WPH_EINVALID, "repo", "stdin_filename must be a plain file name, got \"" + opts_.stdin_filename + "\"");
                snap.paths = {"/" + opts_.stdin_filename};
                root = new_dir(nullptr, 0);
                root->nodes.push_back(stream_node());
                root->skip.push_back(0);
                root->pending++;
                auto *f = new_file(root, 0, opts_.stdin_filename, false);
                // The stream is read on this thread; its chunks are stored by the workers.
                chunk_file(f, opts_.read, opts_.stdin_filename.c_str());
                dir_entry_done(root);
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
                root = vroot_.target ? walk_dir("/", parent_tree_, nullptr, 0) : walk_virtual(vroot_, parent_tree_, nullptr, 0);
            }
            workers.wait_all();
        } catch (...) {
            workers.fail(std::current_exception());
            throw;  // ~Workers joins the threads before the states go
        }
        if (!root || !root->id) raise(WPH_ERROR, "repo", "backup ended without its root tree");
        snap.tree = *root->id;
        {
            std::lock_guard<std::mutex> l(stats_mu_);
            res.stats = stats_;
        }
        if (job_) job_->report("saving index", 0, 0);
        repo_.flush();
        auto id = repo_.save_unpacked(FileType::snapshot, encode_snapshot(snap));
        res.snapshot_id = to_hex(id);
        res.snapshot = snap;
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

    // ---- directories: trees are written when their last entry completes

    DirState *new_dir(DirState *parent, std::size_t slot) {
        auto *d = live_dirs_.make();
        d->parent = parent;
        d->slot = slot;
        return d;
    }

    FileWork *new_file(DirState *dir, std::size_t slot, std::string path, bool had_parent) {
        auto *f = live_files_.make();
        f->dir = dir;
        f->slot = slot;
        f->path = std::move(path);
        f->had_parent = had_parent;
        return f;
    }

    // One entry of `d` is complete; the last one writes its tree.
    void dir_entry_done(DirState *d) {
        while (d && --d->pending == 0) {
            std::vector<Node> nodes;
            nodes.reserve(d->nodes.size());
            for (std::size_t i = 0; i < d->nodes.size(); ++i)
                if (!d->skip[i]) nodes.push_back(std::move(d->nodes[i]));
            d->nodes = {};
            d->skip = {};
            auto tree = encode_tree(nodes);
            Id id = sha256(tree);
            count_added(repo_.save_blob(BlobType::tree, tree, id));
            d->id = id;
            auto *parent = d->parent;
            if (parent) {
                parent->nodes[d->slot].subtree = id;
                live_dirs_.release(d);  // the root stays: run() reads its ID
            }
            d = parent;
        }
    }

    // Start the entries that need more work, then let go of the walker's hold.
    struct Pending {
        std::vector<std::pair<std::size_t, FileWork *>> files;
        std::vector<std::tuple<std::size_t, std::string, std::optional<Id>>> dirs;
    };
    void start(DirState *d, Pending &p) {
        d->pending += p.files.size() + p.dirs.size();
        for (auto &[slot, f] : p.files) workers_->add_file(f);
        for (auto &[slot, path, sub] : p.dirs) walk_dir(path, sub, d, slot);
        dir_entry_done(d);
    }

    DirState *walk_virtual(const VNode &v, const std::optional<Id> &parent_tree, DirState *parent, std::size_t slot) {
        auto *d = new_dir(parent, slot);
        auto parent_nodes = load_nodes(parent_tree);
        Pending p;
        std::vector<std::pair<std::size_t, std::pair<const VNode *, std::optional<Id>>>> virtuals;
        for (auto &[name, child] : v.children) {
            auto pit = parent_nodes.find(name);
            const Node *pn = pit == parent_nodes.end() ? nullptr : &pit->second;
            if (child.target) {
                add_entry(d, child.path, name, pn, p);
                continue;
            }
            struct stat st{};
            if (::lstat(child.path.c_str(), &st) != 0)
                raise(WPH_EIO, "repo", "cannot read " + child.path + ": " + errno_text(errno));
            Node n = base_node(name, st);
            n.type = NodeType::dir;
            std::optional<Id> sub;
            if (pn && pn->type == NodeType::dir) sub = pn->subtree;
            virtuals.push_back({d->nodes.size(), {&child, sub}});
            d->nodes.push_back(std::move(n));
            d->skip.push_back(0);
        }
        d->pending += virtuals.size();  // the walker's hold keeps d open meanwhile
        for (auto &[s, vs] : virtuals) walk_virtual(*vs.first, vs.second, d, s);
        start(d, p);
        return d;
    }

    DirState *walk_dir(const std::string &path, const std::optional<Id> &parent_tree, DirState *parent, std::size_t slot) {
        auto *d = new_dir(parent, slot);
        auto parent_nodes = load_nodes(parent_tree);
        std::vector<std::string> names;
        DIR *dir = ::opendir(path.c_str());
        if (!dir) {
            add_error(path + ": " + errno_text(errno));
        } else {
            while (auto *e = ::readdir(dir)) {
                std::string n = e->d_name;
                if (n != "." && n != "..") names.push_back(n);
            }
            ::closedir(dir);
        }
        std::sort(names.begin(), names.end());
        Pending p;
        for (auto &n : names) {
            auto pit = parent_nodes.find(n);
            add_entry(d, path == "/" ? "/" + n : path + "/" + n, n, pit == parent_nodes.end() ? nullptr : &pit->second, p);
        }
        start(d, p);
        return d;
    }

    void count_added(std::uint64_t n) {
        if (!n) return;
        std::lock_guard<std::mutex> l(stats_mu_);
        stats_.blobs_added++;
        stats_.bytes_added += n;
    }
    void add_error(std::string e) {
        std::lock_guard<std::mutex> l(stats_mu_);
        stats_.errors.push_back(std::move(e));
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

    // Add the node for `path` to `d`; files to read and directories to walk
    // go to `p`, to be started once the directory's entries are all known.
    void add_entry(DirState *d, const std::string &path, const std::string &name, const Node *parent, Pending &p) {
        if (job_) job_->cancel_token().check("backup");
        workers_->check();
        if (excluded(path)) return;
        struct stat st{};
        if (::lstat(path.c_str(), &st) != 0) {
            if (errno != ENOENT) add_error(path + ": " + errno_text(errno));
            return;  // vanished since the directory was listed
        }
        Node n = base_node(name, st);
        const std::size_t slot = d->nodes.size();
        switch (st.st_mode & S_IFMT) {
        case S_IFREG: {
            n.type = NodeType::file;
            n.links = st.st_nlink;
            n.size = static_cast<std::uint64_t>(st.st_size);
            read_xattrs(path, n);
            {
                std::lock_guard<std::mutex> l(stats_mu_);
                stats_.bytes_total += n.size;
            }
            if (unchanged(st, parent)) {
                n.content = parent->content;
                std::lock_guard<std::mutex> l(stats_mu_);
                stats_.files_unmodified++;
                files_done_++;
                bytes_done_ += n.size;
            } else {
                auto *f = new_file(d, slot, path, parent && parent->type == NodeType::file);
                f->st = st;
                p.files.push_back({slot, f});
            }
            break;
        }
        case S_IFDIR: {
            n.type = NodeType::dir;
            read_xattrs(path, n);
            std::optional<Id> parent_sub;
            if (parent && parent->type == NodeType::dir && parent->subtree) parent_sub = parent->subtree;
            p.dirs.emplace_back(slot, path, parent_sub);
            std::lock_guard<std::mutex> l(stats_mu_);
            stats_.dirs++;
            break;
        }
        case S_IFLNK: {
            n.type = NodeType::symlink;
            n.links = st.st_nlink;
            std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
            ssize_t l = ::readlink(path.c_str(), target.data(), target.size());
            if (l < 0) {
                add_error(path + ": " + errno_text(errno));
                return;
            }
            target.resize(static_cast<std::size_t>(l));
            n.linktarget = target;
            std::lock_guard<std::mutex> lk(stats_mu_);
            stats_.others++;
            break;
        }
        case S_IFBLK:
        case S_IFCHR: {
            n.type = S_ISBLK(st.st_mode) ? NodeType::dev : NodeType::chardev;
            n.links = st.st_nlink;
            n.device = st.st_rdev;
            std::lock_guard<std::mutex> l(stats_mu_);
            stats_.others++;
            break;
        }
        case S_IFIFO: {
            n.type = NodeType::fifo;
            std::lock_guard<std::mutex> l(stats_mu_);
            stats_.others++;
            break;
        }
        default:
            return;  // sockets are not stored (as restic does)
        }
        d->nodes.push_back(std::move(n));
        d->skip.push_back(0);
    }

    bool unchanged(const struct stat &st, const Node *p) {
        if (!p || p->type != NodeType::file) return false;
        if (p->size != static_cast<std::uint64_t>(st.st_size) || p->inode != st.st_ino) return false;
        if (p->mtime.sec != st.st_mtim.tv_sec || p->mtime.nsec != st.st_mtim.tv_nsec) return false;
        if (p->ctime.sec != st.st_ctim.tv_sec || p->ctime.nsec != st.st_ctim.tv_nsec) return false;
        return std::all_of(p->content.begin(), p->content.end(), [&](const Id &id) { return repo_.has_blob(BlobType::data, id); });
    }

    // ---- files: read and chunked on a worker

    void read_file(FileWork *f) {
        int fd = ::open(f->path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOATIME);
        if (fd < 0 && errno == EPERM) fd = ::open(f->path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            if (errno != ENOENT) add_error(f->path + ": " + errno_text(errno));
            f->dir->skip[f->slot] = 1;
            auto *dir = f->dir;
            live_files_.release(f);
            dir_entry_done(dir);
            return;
        }
        try {
            chunk_file(f, [&](char *buf, std::size_t cap) {
                for (;;) {
                    ssize_t r = ::read(fd, buf, cap);
                    if (r >= 0) return static_cast<std::size_t>(r);
                    if (errno != EINTR) raise(WPH_EIO, "repo", "cannot read " + f->path + ": " + errno_text(errno));
                }
            }, f->path.c_str());
        } catch (...) {
            ::close(fd);
            throw;
        }
        ::close(fd);
    }

    // Read a stream through the chunker. Each chunk is hashed and stored
    // here, or handed to an idle worker with its buffer.
    template <class Read>
    void chunk_file(FileWork *f, Read &&read, const char *what) {
        Chunker ch = repo_.make_chunker();
        Buffer buf = buffers_.take(false);
        std::size_t len = 0;  // bytes in buf: the current chunk so far, then unscanned bytes
        std::size_t scanned = 0;
        bool eof = false;
        struct Give {  // the buffer goes back on every way out
            ChunkBuffers &pool;
            Buffer &b;
            ~Give() { pool.give(std::move(b)); }
        } give{buffers_, buf};
        for (;;) {
            if (scanned == len) {
                if (eof) {
                    if (len == 0) break;
                    // The last chunk ends where the stream does.
                } else {
                    if (job_) job_->cancel_token().check(std::string("backup of ") + what);
                    // Up to the minimum chunk size nothing can cut, so read that much at once.
                    std::size_t want = len < Chunker::kMinSize ? Chunker::kMinSize - len : ChunkBuffers::kBlock;
                    want = std::min(want, ChunkBuffers::kCapacity - len);
                    std::size_t got = read(buf.data() + len, want);
                    if (got == 0) eof = true;
                    len += got;
                    f->size += got;
                    if (got) bytes_read(got, what);
                    continue;
                }
            } else {
                bool cut = false;
                scanned += ch.scan(reinterpret_cast<const std::uint8_t *>(buf.data()) + scanned, len - scanned, cut);
                if (!cut) continue;
            }
            // A chunk: buf[0, scanned). The bytes after it start the next one.
            std::size_t index;
            {
                std::lock_guard<std::mutex> l(f->mu);
                index = f->content.size();
                f->content.emplace_back();
            }
            const std::size_t rest = len - scanned;
            Buffer next;
            if (workers_->someone_idle() && (next = buffers_.take(true))) {
                std::memcpy(next.data(), buf.data() + scanned, rest);
                f->pending++;
                workers_->add_chunk(ChunkTask{f, index, std::move(buf), scanned});
                buf = std::move(next);
            } else {
                store(f, index, std::string_view(buf.data(), scanned));
                std::memmove(buf.data(), buf.data() + scanned, rest);
            }
            len = rest;
            scanned = 0;
            if (eof && len == 0) break;
        }
        if (--f->pending == 0) file_done(f);
    }

    void store(FileWork *f, std::size_t index, std::string_view chunk) {
        Id id = sha256(chunk);
        count_added(repo_.save_blob(BlobType::data, chunk, id));
        std::lock_guard<std::mutex> l(f->mu);
        f->content[index] = id;
    }

    void store_chunk(ChunkTask &t) {
        store(t.file, t.index, std::string_view(t.buf.data(), t.len));
        buffers_.give(std::move(t.buf));
        if (--t.file->pending == 0) file_done(t.file);
    }

    void file_done(FileWork *f) {
        Node &n = f->dir->nodes[f->slot];
        {
            std::lock_guard<std::mutex> l(f->mu);
            n.content = std::move(f->content);
        }
        // The file may have changed while it was read: record what was read.
        n.size = f->size;
        {
            std::lock_guard<std::mutex> l(stats_mu_);
            (f->had_parent ? stats_.files_changed : stats_.files_new)++;
            if (opts_.read) stats_.bytes_total += f->size;  // a stream's size is known only now
            files_done_++;
        }
        auto *dir = f->dir;
        live_files_.release(f);
        dir_entry_done(dir);
    }

    void bytes_read(std::size_t got, const char *what) {
        std::uint64_t done;
        {
            std::lock_guard<std::mutex> l(stats_mu_);
            stats_.bytes_processed += got;
            bytes_done_ += got;
            done = bytes_done_;
        }
        if (!job_) return;
        std::uint64_t files_total = scanner_ ? scanner_->files() : 0, bytes_total = scanner_ ? scanner_->bytes() : 0;
        // Until the scan is complete the totals are only a lower bound.
        if (scanner_ && !scanner_->done()) files_total = bytes_total = 0;
        job_->report_files("backup", files_done_.load(), files_total, done, bytes_total, what);
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
        return n;
    }

    Repository &repo_;
    const BackupOptions &opts_;
    Job *job_;
    NameCache names_;
    std::mutex stats_mu_;
    BackupStats stats_;
    std::uint64_t bytes_done_ = 0;
    std::atomic<std::uint64_t> files_done_{0};
    std::optional<Id> parent_tree_;
    VNode vroot_;
    std::unique_ptr<Scanner> scanner_;
    ChunkBuffers buffers_;
    // Directories and files in progress, freed as they complete (a backup of
    // millions of files holds only those still open); whatever an error
    // left behind goes with the archiver.
    template <class T> class Live {
    public:
        T *make() {
            auto p = std::make_unique<T>();
            T *raw = p.get();
            std::lock_guard<std::mutex> l(mu_);
            all_.emplace(raw, std::move(p));
            return raw;
        }
        void release(T *p) {
            std::lock_guard<std::mutex> l(mu_);
            all_.erase(p);
        }

    private:
        std::mutex mu_;
        std::unordered_map<T *, std::unique_ptr<T>> all_;
    };
    Live<DirState> live_dirs_;
    Live<FileWork> live_files_;
    Workers *workers_ = nullptr;
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
