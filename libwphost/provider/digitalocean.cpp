// DigitalOcean API client and its operations behind Provider.
#include "provider/digitalocean.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <functional>
#include <initializer_list>
#include <utility>

#include "engine/error.hpp"
#include "engine/job.hpp"
#include "provider/provider.hpp"

namespace json = boost::json;
using namespace std::chrono;

namespace wph::provider::digitalocean {

namespace {

constexpr const char *kProvider = "digitalocean";

std::string ids(long long id) { return std::to_string(id); }

json::object member(const json::value &doc, std::string_view key, std::string_view what) {
    return provider::member(doc, key, what, kProvider);
}

long long id_field(const json::object &o, std::string_view what) {
    auto it = o.find("id");
    if (it == o.end() || !it->value().is_int64())
        raise(WPH_EPROVIDER, kProvider, "digitalocean: " + std::string(what) + " without an integer \"id\"");
    return it->value().get_int64();
}

// A key id or fingerprint as a path segment (':' is a valid path character
// and DigitalOcean's documented form).
std::string key_segment(std::string_view key) {
    std::string enc = http::url_encode(key);
    std::string out;
    for (std::size_t i = 0; i < enc.size(); ++i) {
        if (enc.compare(i, 3, "%3A") == 0) {
            out += ':';
            i += 2;
        } else {
            out += enc[i];
        }
    }
    return out;
}

std::string origin_of(std::string_view url) {
    auto scheme = url.find("://");
    if (scheme == std::string_view::npos) return {};
    auto end = url.find_first_of("/?#", scheme + 3);
    std::string o(url.substr(0, end));
    for (char &c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return o;
}

}  // namespace

// ---- pure helpers ----

std::string error_message(const json::value *body) {
    auto *o = as_obj(body);
    if (!o) return {};
    std::string msg = str_field(*o, "message");
    std::string id = str_field(*o, "id");
    if (msg.empty()) return id;
    if (!id.empty()) msg += " (" + id + ")";
    return msg;
}

bool action_finished(const json::object &action) {
    std::string status = str_field(action, "status");
    if (status == "completed") return true;
    if (status == "in-progress") return false;
    std::string what = "digitalocean: action " +
                       (action.contains("id") ? json::serialize(action.at("id")) : std::string("?")) + " (" +
                       str_field(action, "type") + ")";
    if (status == "errored") {
        std::string on;
        if (action.contains("resource_id"))
            on = " on " + str_field(action, "resource_type") + " " + json::serialize(action.at("resource_id"));
        raise(WPH_EPROVIDER, kProvider, what + on + " errored");
    }
    raise(WPH_EPROVIDER, kProvider, what + " has an unknown status \"" + status + "\"");
}

std::optional<long long> create_action_id(const json::value &answer) {
    auto *o = as_obj(&answer);
    if (!o) return std::nullopt;
    auto links = o->find("links");
    if (links == o->end() || !links->value().is_object()) return std::nullopt;
    auto actions = links->value().get_object().find("actions");
    if (actions == links->value().get_object().end() || !actions->value().is_array()) return std::nullopt;
    for (const auto &a : actions->value().get_array()) {
        if (!a.is_object()) continue;
        const auto &ao = a.get_object();
        auto id = ao.find("id");
        if (str_field(ao, "rel") == "create" && id != ao.end() && id->value().is_int64()) return id->value().get_int64();
    }
    return std::nullopt;
}

std::optional<std::string> next_page(const json::value &page) {
    auto *o = as_obj(&page);
    if (!o) return std::nullopt;
    auto links = o->find("links");
    if (links == o->end() || !links->value().is_object()) return std::nullopt;
    auto pages = links->value().get_object().find("pages");
    if (pages == links->value().get_object().end() || !pages->value().is_object()) return std::nullopt;
    std::string next = str_field(pages->value().get_object(), "next");
    if (next.empty()) return std::nullopt;
    return next;
}

bool same_origin(std::string_view url, std::string_view base) {
    std::string a = origin_of(url);
    return !a.empty() && a == origin_of(base);
}

json::object droplet_create_body(const DropletCreate &spec) {
    auto need = [](const std::string &v, const char *field) {
        if (v.empty()) raise(WPH_EINVALID, kProvider, std::string("digitalocean: \"") + field + "\" is required");
    };
    need(spec.name, "name");
    need(spec.region, "region");
    need(spec.size, "size");
    if (!(spec.image.is_string() && !spec.image.get_string().empty()) &&
        !(spec.image.is_int64() && spec.image.get_int64() > 0))
        raise(WPH_EINVALID, kProvider, "digitalocean: \"image\" must be an image slug or a positive id");
    // DigitalOcean accepts letters, digits, '.' and '-' in droplet names.
    for (char c : spec.name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-')
            raise(WPH_EINVALID, kProvider,
                  "digitalocean: \"name\" may hold only letters, digits, '.' and '-' (\"" + spec.name + "\")");
    json::object body{{"name", spec.name}, {"region", spec.region}, {"size", spec.size}, {"image", spec.image}};
    if (!spec.ssh_keys.empty()) {
        json::array keys;
        for (std::size_t i = 0; i < spec.ssh_keys.size(); ++i) {
            const auto &k = spec.ssh_keys[i];
            if (!(k.is_string() && !k.get_string().empty()) && !(k.is_int64() && k.get_int64() > 0))
                raise(WPH_EINVALID, kProvider,
                      "digitalocean: \"ssh_keys[" + std::to_string(i) + "]\" must be a key id or fingerprint");
            keys.push_back(k);
        }
        body["ssh_keys"] = std::move(keys);
    }
    if (!spec.user_data.empty()) body["user_data"] = spec.user_data;
    if (!spec.tags.empty()) {
        json::array tags;
        for (const auto &t : spec.tags) {
            if (t.empty()) raise(WPH_EINVALID, kProvider, "digitalocean: \"tags\" holds an empty tag");
            tags.push_back(json::string(t));
        }
        body["tags"] = std::move(tags);
    }
    return body;
}

// ---- client ----

Client::Client(http::ClientOptions options, PollOptions poll) : http_(std::move(options)), poll_(poll) {}

Client Client::from_json(const json::object &config) {
    return Client(bearer_client_options(config, kProvider, default_endpoint, &error_message),
                  poll_options_from_json(config, kProvider));
}

json::object Client::list_all(std::string path, std::vector<std::pair<std::string, std::string>> query,
                              std::string_view key, const CancelToken *cancel) const {
    query.emplace_back("page", "1");
    query.emplace_back("per_page", "50");
    json::array all;
    const std::string &base = http_.options().base_url;
    http::paginate(
        http_, path + "?" + http::query_string(query),
        [&](const json::value &page) {
            auto *o = as_obj(&page);
            auto it = o ? o->find(key) : nullptr;
            if (!o || it == o->end() || !it->value().is_array())
                raise(WPH_EPROVIDER, kProvider,
                      "digitalocean: GET " + path + ": the answer has no \"" + std::string(key) + "\" array");
            for (const auto &v : it->value().get_array()) all.push_back(v);
        },
        [&](const http::Response &, const json::value &page) -> std::optional<std::string> {
            auto next = next_page(page);
            if (next && !same_origin(*next, base))
                raise(WPH_EPROVIDER, kProvider,
                      "digitalocean: GET " + path + ": the next page is on another origin (" + origin_of(*next) +
                          "); not following it");
            return next;
        },
        cancel);
    json::object out;
    out[key] = std::move(all);
    return out;
}

json::object Client::wait_until_done(json::object action, steady_clock::time_point deadline,
                                     const CancelToken *cancel) const {
    int polls = 0;
    while (!action_finished(action)) {
        auto now = steady_clock::now();
        if (now >= deadline)
            raise(WPH_ETIMEOUT, kProvider,
                  "digitalocean: action " + ids(id_field(action, "an action")) + " (" + str_field(action, "type") +
                      ") still in progress at the deadline");
        auto wait = std::min<steady_clock::duration>(poll_delay(poll_, polls++), deadline - now);
        sleep_for(duration_cast<milliseconds>(wait) + milliseconds(1), cancel, "digitalocean: waiting for an action");
        action = get_action(id_field(action, "an action"), cancel).at("action").as_object();
    }
    return action;
}

json::object Client::create_droplet(const DropletCreate &spec, bool wait, seconds timeout,
                                    const CancelToken *cancel) const {
    auto deadline = steady_clock::now() + timeout;
    json::value doc = http_.post_json("/droplets", droplet_create_body(spec), cancel).json();
    json::object droplet = member(doc, "droplet", "POST /droplets");
    long long id = id_field(droplet, "a droplet");
    json::object out{{"droplet", droplet}};
    auto action_id = create_action_id(doc);
    if (!wait) {
        if (action_id) out["action"] = get_action(*action_id, cancel).at("action");
        return out;
    }
    try {
        return wait_created(std::move(out), id, action_id, deadline, cancel);
    } catch (const Error &e) {
        // The droplet exists: say so, so that it is not forgotten.
        throw Error(e.code(), e.category(),
                    e.message() + " (droplet " + ids(id) + " \"" + spec.name +
                        "\" was created; delete it or wait for it again)",
                    e.http_status());
    }
}

json::object Client::wait_created(json::object out, long long id, std::optional<long long> action_id,
                                   steady_clock::time_point deadline, const CancelToken *cancel) const {
    if (action_id) {
        json::object action = get_action(*action_id, cancel).at("action").as_object();
        out["action"] = wait_until_done(std::move(action), deadline, cancel);
        out["droplet"] = get_droplet(id, cancel).at("droplet");
        return out;
    }
    // No action link: poll the droplet until it is active.
    int polls = 0;
    while (true) {
        json::object d = get_droplet(id, cancel).at("droplet").as_object();
        std::string status = str_field(d, "status");
        if (status == "active") {
            out["droplet"] = std::move(d);
            return out;
        }
        if (status != "new")
            raise(WPH_EPROVIDER, kProvider, "digitalocean: droplet " + ids(id) + " is \"" + status + "\", not active");
        auto now = steady_clock::now();
        if (now >= deadline)
            raise(WPH_ETIMEOUT, kProvider, "digitalocean: droplet " + ids(id) + " still \"new\" at the deadline");
        sleep_for(duration_cast<milliseconds>(std::min<steady_clock::duration>(poll_delay(poll_, polls++), deadline - now)) +
                      milliseconds(1),
                  cancel, "digitalocean: waiting for a droplet");
    }
}

json::object Client::list_droplets(std::string_view tag_name, const CancelToken *cancel) const {
    std::vector<std::pair<std::string, std::string>> q;
    if (!tag_name.empty()) q.emplace_back("tag_name", std::string(tag_name));
    return list_all("/droplets", std::move(q), "droplets", cancel);
}

json::object Client::get_droplet(long long id, const CancelToken *cancel) const {
    json::value doc = http_.get("/droplets/" + ids(id), cancel).json();
    member(doc, "droplet", "GET /droplets/" + ids(id));
    return doc.as_object();
}

void Client::delete_droplet(long long id, const CancelToken *cancel) const { http_.del("/droplets/" + ids(id), cancel); }

json::object Client::droplet_action(long long id, std::string_view type, bool wait, seconds timeout,
                                    const CancelToken *cancel) const {
    static constexpr std::string_view allowed[] = {"power_on", "power_off", "shutdown", "reboot", "power_cycle"};
    if (std::find(std::begin(allowed), std::end(allowed), type) == std::end(allowed))
        raise(WPH_EINVALID, kProvider,
              "digitalocean: \"type\" must be one of power_on, power_off, shutdown, reboot, power_cycle (not \"" +
                  std::string(type) + "\")");
    auto deadline = steady_clock::now() + timeout;
    std::string path = "/droplets/" + ids(id) + "/actions";
    json::value doc = http_.post_json(path, json::object{{"type", type}}, cancel).json();
    json::object action = member(doc, "action", "POST " + path);
    if (wait) action = wait_until_done(std::move(action), deadline, cancel);
    return json::object{{"action", std::move(action)}};
}

json::object Client::get_action(long long id, const CancelToken *cancel) const {
    json::value doc = http_.get("/actions/" + ids(id), cancel).json();
    member(doc, "action", "GET /actions/" + ids(id));
    return doc.as_object();
}

json::object Client::wait_action(long long id, seconds timeout, const CancelToken *cancel) const {
    auto deadline = steady_clock::now() + timeout;
    json::object action = get_action(id, cancel).at("action").as_object();
    return json::object{{"action", wait_until_done(std::move(action), deadline, cancel)}};
}

json::object Client::create_ssh_key(std::string_view name, std::string_view public_key,
                                    const CancelToken *cancel) const {
    json::value doc =
        http_.post_json("/account/keys", json::object{{"name", name}, {"public_key", public_key}}, cancel).json();
    member(doc, "ssh_key", "POST /account/keys");
    return doc.as_object();
}

json::object Client::list_ssh_keys(const CancelToken *cancel) const {
    return list_all("/account/keys", {}, "ssh_keys", cancel);
}

json::object Client::get_ssh_key(std::string_view key, const CancelToken *cancel) const {
    std::string path = "/account/keys/" + key_segment(key);
    json::value doc = http_.get(path, cancel).json();
    member(doc, "ssh_key", "GET " + path);
    return doc.as_object();
}

void Client::delete_ssh_key(std::string_view key, const CancelToken *cancel) const {
    http_.del("/account/keys/" + key_segment(key), cancel);
}

// ---- operations by name ----

namespace {

void only(const Params &p, std::initializer_list<std::string_view> fields) {
    for (const auto &kv : p.obj)
        if (std::find(fields.begin(), fields.end(), std::string_view(kv.key())) == fields.end())
            p.invalid(kv.key(), "is not a parameter of this operation");
}

long long id_of(const Params &p) {
    long long id = p.integer("id");
    if (id <= 0) p.invalid("id", "must be a positive integer");
    return id;
}

seconds timeout_of(const Params &p) {
    long long t = p.integer_or("timeout_s", 600);
    if (t <= 0) p.invalid("timeout_s", "must be a positive number of seconds");
    return seconds(t);
}

// An SSH key by "id" (integer) or "fingerprint" (aa:bb:...): exactly one.
std::string key_of(const Params &p) {
    const json::value *id = p.get("id");
    const json::value *fp = p.get("fingerprint");
    if (id && fp) p.invalid("fingerprint", "cannot be given with \"id\"");
    if (fp) {
        std::string f = p.str("fingerprint");
        for (char c : f)
            if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':')
                p.invalid("fingerprint", "must be hexadecimal pairs separated by ':'");
        return f;
    }
    if (!id) p.invalid("id", "is required (or \"fingerprint\")");
    return std::to_string(id_of(p));
}

class DigitalOceanProvider final : public OperationTable {
public:
    explicit DigitalOceanProvider(Client c) : OperationTable(kProvider), c_(std::move(c)) {
        using P = const Params &;
        using C = const CancelToken *;
        add("droplet.create", [this](P p, C cancel) -> json::value {
            only(p, {"name", "region", "size", "image", "ssh_keys", "user_data", "tags", "wait", "timeout_s"});
            DropletCreate d;
            d.name = p.str("name");
            d.region = p.str("region");
            d.size = p.str("size");
            const json::value *image = p.get("image");
            if (!image) p.invalid("image", "is required");
            if (image->is_uint64() || image->is_double()) d.image = p.integer("image");
            else d.image = *image;
            if (!(d.image.is_string() && !d.image.get_string().empty()) &&
                !(d.image.is_int64() && d.image.get_int64() > 0))
                p.invalid("image", "must be an image slug or a positive id");
            if (const json::value *k = p.get("ssh_keys")) {
                if (!k->is_array()) p.invalid("ssh_keys", "must be an array of key ids or fingerprints");
                d.ssh_keys.assign(k->get_array().begin(), k->get_array().end());
            }
            d.user_data = p.str_or("user_data", "");
            d.tags = p.strings_or_empty("tags");
            bool wait = p.boolean_or("wait", true);
            return c_.create_droplet(d, wait, timeout_of(p), cancel);
        });
        add("droplet.list", [this](P p, C cancel) -> json::value {
            only(p, {"tag_name"});
            return c_.list_droplets(p.str_or("tag_name", ""), cancel);
        });
        add("droplet.get", [this](P p, C cancel) -> json::value {
            only(p, {"id"});
            return c_.get_droplet(id_of(p), cancel);
        });
        add("droplet.delete", [this](P p, C cancel) -> json::value {
            only(p, {"id"});
            c_.delete_droplet(id_of(p), cancel);
            return json::object{};
        });
        add("droplet.action", [this](P p, C cancel) -> json::value {
            only(p, {"id", "type", "wait", "timeout_s"});
            long long id = id_of(p);
            std::string type = p.str("type");
            static constexpr std::string_view allowed[] = {"power_on", "power_off", "shutdown", "reboot",
                                                           "power_cycle"};
            if (std::find(std::begin(allowed), std::end(allowed), type) == std::end(allowed))
                p.invalid("type", "must be one of power_on, power_off, shutdown, reboot, power_cycle");
            return c_.droplet_action(id, type, p.boolean_or("wait", true), timeout_of(p), cancel);
        });
        add("action.get", [this](P p, C cancel) -> json::value {
            only(p, {"id"});
            return c_.get_action(id_of(p), cancel);
        });
        add("action.wait", [this](P p, C cancel) -> json::value {
            only(p, {"id", "timeout_s"});
            long long id = id_of(p);
            return c_.wait_action(id, timeout_of(p), cancel);
        });
        add("ssh_key.create", [this](P p, C cancel) -> json::value {
            only(p, {"name", "public_key"});
            std::string name = p.str("name"), key = p.str("public_key");
            return c_.create_ssh_key(name, key, cancel);
        });
        add("ssh_key.list", [this](P p, C cancel) -> json::value {
            only(p, {});
            return c_.list_ssh_keys(cancel);
        });
        add("ssh_key.get", [this](P p, C cancel) -> json::value {
            only(p, {"id", "fingerprint"});
            return c_.get_ssh_key(key_of(p), cancel);
        });
        add("ssh_key.delete", [this](P p, C cancel) -> json::value {
            only(p, {"id", "fingerprint"});
            c_.delete_ssh_key(key_of(p), cancel);
            return json::object{};
        });
    }

private:

    Client c_;
};

}  // namespace

}  // namespace wph::provider::digitalocean

namespace wph::provider {
std::unique_ptr<Provider> open_digitalocean(const boost::json::object &config) {
    return std::make_unique<digitalocean::DigitalOceanProvider>(digitalocean::Client::from_json(config));
}
}  // namespace wph::provider
