#include "host/parse.hpp"

#include <algorithm>
#include <regex>

#include "util/strings.hpp"

namespace wph::hostparse {

using util::lines;
using util::starts_with;
using util::trim;

std::map<std::string, std::string> os_release(std::string_view text) {
    std::map<std::string, std::string> out;
    for (auto line : lines(text)) {
        line = trim(line);
        if (line.empty() || line[0] == '#') continue;
        auto eq = line.find('=');
        if (eq == std::string_view::npos || eq == 0) continue;
        std::string key(line.substr(0, eq));
        std::string_view v = line.substr(eq + 1);
        std::string val;
        if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
            char q = v.front();
            v = v.substr(1, v.size() - 2);
            for (std::size_t i = 0; i < v.size(); ++i) {
                if (q == '"' && v[i] == '\\' && i + 1 < v.size()) ++i;
                val.push_back(v[i]);
            }
        } else {
            val = std::string(v);
        }
        out[key] = val;
    }
    return out;
}

namespace {
// Split `configure arguments:` respecting single quotes.
std::vector<std::string> shell_words(std::string_view s) {
    std::vector<std::string> out;
    std::string cur;
    bool in_q = false, have = false;
    for (char c : s) {
        if (c == '\'') { in_q = !in_q; have = true; continue; }
        if (!in_q && (c == ' ' || c == '\t')) {
            if (have) out.push_back(cur);
            cur.clear();
            have = false;
            continue;
        }
        cur.push_back(c);
        have = true;
    }
    if (have) out.push_back(cur);
    return out;
}

std::string module_name_from_path(std::string_view path) {
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    auto slash = path.rfind('/');
    std::string name(slash == std::string_view::npos ? path : path.substr(slash + 1));
    // Debian names added module directories like "http-cache-purge".
    std::replace(name.begin(), name.end(), '-', '_');
    return name;
}
}  // namespace

NginxBuild nginx_build(std::string_view text) {
    NginxBuild b;
    for (auto line : lines(text)) {
        if (starts_with(line, "nginx version:")) {
            auto slash = line.find('/');
            if (slash != std::string_view::npos) {
                auto rest = trim(line.substr(slash + 1));
                auto sp = rest.find(' ');
                b.version = std::string(rest.substr(0, sp));
            }
        } else if (starts_with(line, "built with ")) {
            auto rest = line.substr(11);
            auto paren = rest.find(" (");
            b.openssl = std::string(trim(rest.substr(0, paren)));
        } else if (starts_with(line, "configure arguments:")) {
            for (auto &w : shell_words(line.substr(20))) {
                if (starts_with(w, "--with-") && w.size() > 14 && w.ends_with("_module")) {
                    b.modules.push_back(w.substr(7));
                } else if (starts_with(w, "--add-module=")) {
                    b.modules.push_back(module_name_from_path(std::string_view(w).substr(13)));
                } else if (starts_with(w, "--add-dynamic-module=")) {
                    b.dynamic_modules.push_back(module_name_from_path(std::string_view(w).substr(21)));
                }
            }
        }
    }
    return b;
}

std::vector<std::string> nginx_load_modules(std::string_view conf) {
    std::vector<std::string> out;
    static const std::regex re(R"(^\s*load_module\s+["']?([^"';\s]+)["']?\s*;)");
    for (auto line : lines(conf)) {
        std::string l(line);
        std::smatch m;
        if (std::regex_search(l, m, re)) {
            std::string p = m[1];
            auto slash = p.rfind('/');
            out.push_back(slash == std::string::npos ? p : p.substr(slash + 1));
        }
    }
    return out;
}

std::optional<std::string> php_fpm_version_from_name(std::string_view name) {
    static const std::regex re(R"(^php-fpm([0-9]+\.[0-9]+)$)");
    std::string s(name);
    std::smatch m;
    if (std::regex_match(s, m, re)) return m[1].str();
    return std::nullopt;
}

std::string php_version(std::string_view text) {
    static const std::regex re(R"(^PHP ([0-9]+\.[0-9]+\.[0-9]+[^ ]*))");
    for (auto line : lines(text)) {
        std::string l(line);
        std::smatch m;
        if (std::regex_search(l, m, re)) return m[1];
    }
    return {};
}

PhpModules php_modules(std::string_view text) {
    PhpModules out;
    std::vector<std::string> *cur = nullptr;
    for (auto line : lines(text)) {
        auto l = trim(line);
        if (l == "[PHP Modules]") { cur = &out.php; continue; }
        if (l == "[Zend Modules]") { cur = &out.zend; continue; }
        if (l.empty() || !cur) continue;
        cur->emplace_back(l);
    }
    return out;
}

namespace {
MysqlServerVersion split_version(const std::string &v) {
    MysqlServerVersion r;
    static const std::regex num(R"(^([0-9]+\.[0-9]+\.[0-9]+))");
    std::smatch m;
    if (std::regex_search(v, m, num)) r.version = m[1];
    r.flavor = v.find("MariaDB") != std::string::npos ? "MariaDB" : "MySQL";
    return r;
}
}  // namespace

MysqlServerVersion mysql_server_version(std::string_view text) {
    // "mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64 (Debian 12)"
    // "/usr/sbin/mysqld  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)"
    static const std::regex re(R"(Ver ([0-9][^ ]*))");
    std::string s(text);
    std::smatch m;
    if (!std::regex_search(s, m, re)) return {};
    auto r = split_version(m[1]);
    if (s.find("MariaDB") != std::string::npos) r.flavor = "MariaDB";
    return r;
}

MysqlServerVersion mysql_server_info(std::string_view info) { return split_version(std::string(info)); }

std::string redis_server_version(std::string_view text) {
    static const std::regex re(R"(v=([0-9]+\.[0-9]+\.[0-9]+))");
    std::string s(text);
    std::smatch m;
    return std::regex_search(s, m, re) ? m[1].str() : std::string();
}

bool resp_reply_complete(std::string_view r) {
    auto eol = r.find("\r\n");
    if (eol == std::string_view::npos) return false;
    if (r[0] == '-' || r[0] == '+' || r[0] == ':') return true;
    if (r[0] != '$') return true;  // not RESP: nothing more will make sense of it
    std::uint64_t len = 0;
    auto head = r.substr(1, eol - 1);
    if (head == "-1") return true;
    if (!util::parse_u64(head, len)) return true;
    return r.size() >= eol + 2 + len + 2;
}

std::map<std::string, std::string> redis_info(std::string_view reply) {
    std::map<std::string, std::string> out;
    for (auto line : lines(reply)) {
        if (line.empty() || line[0] == '#' || line[0] == '$') continue;
        auto c = line.find(':');
        if (c == std::string_view::npos) continue;
        out[std::string(line.substr(0, c))] = std::string(trim(line.substr(c + 1)));
    }
    return out;
}

std::string memcached_version(std::string_view text) {
    static const std::regex re(R"((?:memcached|VERSION) ([0-9]+\.[0-9]+\.[0-9]+))");
    std::string s(text);
    std::smatch m;
    return std::regex_search(s, m, re) ? m[1].str() : std::string();
}

std::string restic_version(std::string_view text) {
    static const std::regex re(R"(^restic ([0-9]+\.[0-9]+\.[0-9]+))");
    std::string s(text);
    std::smatch m;
    return std::regex_search(s, m, re) ? m[1].str() : std::string();
}

MemInfo meminfo(std::string_view text) {
    MemInfo mi;
    for (auto line : lines(text)) {
        auto c = line.find(':');
        if (c == std::string_view::npos) continue;
        auto key = line.substr(0, c);
        auto rest = trim(line.substr(c + 1));
        auto sp = rest.find(' ');
        std::uint64_t v = 0;
        if (!util::parse_u64(rest.substr(0, sp), v)) continue;
        if (sp != std::string_view::npos && trim(rest.substr(sp)) == "kB") v *= 1024;
        if (key == "MemTotal") mi.total = v;
        else if (key == "MemAvailable") mi.available = v;
        else if (key == "SwapTotal") mi.swap_total = v;
        else if (key == "SwapFree") mi.swap_free = v;
    }
    return mi;
}

}  // namespace wph::hostparse
