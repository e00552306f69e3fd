// Hetzner Cloud API client and its operations behind Provider.
#include "provider/hetzner.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <functional>
#include <initializer_list>
#include <utility>

#include "engine/error.hpp"
#include "engine/job.hpp"
#include "provider/provider.hpp"

namespace json = boost::json;
using namespace std::chrono;

namespace wph::provider::hetzner {

namespace {

constexpr const char *kProvider = "hetzner";

std::string ids(long long id) { return std::to_string(id); }

json::object member(const json::value &doc, std::string_view key, std::string_view what) {
    return provider::member(doc, key, what, kProvider);
}

long long action_id(const json::object &action) {
    auto it = action.find("id");
    if (it == action.end() || !it->value().is_int64())
        raise(WPH_EPROVIDER, kProvider, "hetzner: an action without an integer \"id\"");
    return it->value().get_int64();
}

}  // namespace

// ---- pure helpers ----

std::string error_message(const json::value *body) {
    auto *o = as_obj(body);
    if (!o) return {};
    auto it = o->find("error");
    if (it == o->end() || !it->value().is_object()) return {};
    const auto &e = it->value().get_object();
    std::string msg = str_field(e, "message");
    std::string code = str_field(e, "code");
    if (msg.empty()) return code;
    if (!code.empty()) msg += " (" + code + ")";
    return msg;
}

bool action_finished(const json::object &action) {
    std::string status = str_field(action, "status");
    if (status == "success") return true;
    if (status == "running") return false;
    std::string what = "hetzner: action " +
                       (action.contains("id") ? json::serialize(action.at("id")) : std::string("?")) + " (" +
                       str_field(action, "command") + ")";
    if (status == "error") {
        std::string code, message;
        if (auto it = action.find("error"); it != action.end() && it->value().is_object()) {
            code = str_field(it->value().get_object(), "code");
            message = str_field(it->value().get_object(), "message");
        }
        raise(WPH_EPROVIDER, kProvider,
              what + " failed: " + (code.empty() ? "error" : code) + (message.empty() ? "" : ": " + message));
    }
    raise(WPH_EPROVIDER, kProvider, what + " has an unknown status \"" + status + "\"");
}

std::optional<long long> next_page(const json::value &page) {
    auto *o = as_obj(&page);
    if (!o) return std::nullopt;
    auto meta = o->find("meta");
    if (meta == o->end() || !meta->value().is_object()) return std::nullopt;
    auto pg = meta->value().get_object().find("pagination");
    if (pg == meta->value().get_object().end() || !pg->value().is_object()) return std::nullopt;
    auto nx = pg->value().get_object().find("next_page");
    if (nx == pg->value().get_object().end() || !nx->value().is_int64()) return std::nullopt;
    return nx->value().get_int64();
}

void check_labels(const json::value &labels, std::string_view field) {
    if (!labels.is_object())
        raise(WPH_EINVALID, kProvider, "hetzner: \"" + std::string(field) + "\" must be an object of strings");
    for (const auto &kv : labels.get_object()) {
        if (kv.key().empty())
            raise(WPH_EINVALID, kProvider, "hetzner: \"" + std::string(field) + "\" has an empty label key");
        if (!kv.value().is_string())
            raise(WPH_EINVALID, kProvider,
                  "hetzner: \"" + std::string(field) + "." + std::string(kv.key()) + "\" must be a string");
    }
}

json::object server_create_body(const ServerCreate &spec) {
    auto need = [](const std::string &v, const char *field) {
        if (v.empty()) raise(WPH_EINVALID, kProvider, std::string("hetzner: \"") + field + "\" is required");
    };
    need(spec.name, "name");
    need(spec.server_type, "server_type");
    need(spec.image, "image");
    if (!spec.location.empty() && !spec.datacenter.empty())
        raise(WPH_EINVALID, kProvider, "hetzner: give \"location\" or \"datacenter\", not both");
    json::object body;
    body["name"] = spec.name;
    body["server_type"] = spec.server_type;
    body["image"] = spec.image;
    if (!spec.location.empty()) body["location"] = spec.location;
    if (!spec.datacenter.empty()) body["datacenter"] = spec.datacenter;
    if (!spec.ssh_keys.empty()) {
        json::array keys;
        for (std::size_t i = 0; i < spec.ssh_keys.size(); ++i) {
            const auto &k = spec.ssh_keys[i];
            if (!(k.is_string() && !k.get_string().empty()) && !(k.is_int64() && k.get_int64() > 0))
                raise(WPH_EINVALID, kProvider,
                      "hetzner: \"ssh_keys[" + std::to_string(i) + "]\" must be a key name or a positive id");
            keys.push_back(k);
        }
        body["ssh_keys"] = std::move(keys);
    }
    if (!spec.user_data.empty()) body["user_data"] = spec.user_data;
    if (!spec.labels.empty()) {
        check_labels(spec.labels, "labels");
        body["labels"] = spec.labels;
    }
    if (!spec.firewalls.empty()) {
        json::array fws;
        for (long long id : spec.firewalls) fws.push_back(json::object{{"firewall", id}});
        body["firewalls"] = std::move(fws);
    }
    if (spec.start_after_create) body["start_after_create"] = *spec.start_after_create;
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
    json::array all;
    auto url_for = [&](long long page) {
        auto q = query;
        q.emplace_back("page", std::to_string(page));
        q.emplace_back("per_page", "50");
        return path + "?" + http::query_string(q);
    };
    http::paginate(
        http_, url_for(1),
        [&](const json::value &page) {
            auto *o = as_obj(&page);
            auto it = o ? o->find(key) : nullptr;
            if (!o || it == o->end() || !it->value().is_array())
                raise(WPH_EPROVIDER, kProvider,
                      "hetzner: GET " + path + ": the answer has no \"" + std::string(key) + "\" array");
            for (const auto &v : it->value().get_array()) all.push_back(v);
        },
        [&](const http::Response &, const json::value &page) -> std::optional<std::string> {
            if (auto n = next_page(page)) return url_for(*n);
            return std::nullopt;
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
        if (now >= deadline) {
            std::string progress = action.contains("progress") ? json::serialize(action.at("progress")) : "?";
            raise(WPH_ETIMEOUT, kProvider,
                  "hetzner: action " + ids(action_id(action)) + " (" + str_field(action, "command") +
                      ") still running at the deadline (progress " + progress + "%)");
        }
        auto wait = std::min<steady_clock::duration>(poll_delay(poll_, polls++), deadline - now);
        sleep_for(duration_cast<milliseconds>(wait) + milliseconds(1), cancel, "hetzner: waiting for an action");
        action = get_action(action_id(action), cancel).at("action").as_object();
    }
    return action;
}

json::object Client::create_server(const ServerCreate &spec, bool wait, seconds timeout,
                                   const CancelToken *cancel) const {
    auto deadline = steady_clock::now() + timeout;
    json::value doc = http_.post_json("/servers", server_create_body(spec), cancel).json();
    json::object server = member(doc, "server", "POST /servers");
    json::object out = doc.as_object();
    if (!wait) return out;
    try {
        json::object action = wait_until_done(member(doc, "action", "POST /servers"), deadline, cancel);
        json::array next;
        if (auto it = out.find("next_actions"); it != out.end() && it->value().is_array())
            for (const auto &a : it->value().get_array())
                if (a.is_object()) next.push_back(wait_until_done(a.get_object(), deadline, cancel));
        out["action"] = std::move(action);
        out["next_actions"] = std::move(next);
        out["server"] = get_server(server.at("id").as_int64(), cancel).at("server");
    } catch (const Error &e) {
        // The server exists: say so, so that it is not forgotten.
        throw Error(e.code(), e.category(),
                    e.message() + " (server " + json::serialize(server.at("id")) + " \"" + str_field(server, "name") +
                        "\" was created; delete it or wait for its actions again)",
                    e.http_status());
    }
    return out;
}

json::object Client::list_servers(std::string_view label_selector, std::string_view name,
                                  const CancelToken *cancel) const {
    std::vector<std::pair<std::string, std::string>> q;
    if (!label_selector.empty()) q.emplace_back("label_selector", std::string(label_selector));
    if (!name.empty()) q.emplace_back("name", std::string(name));
    return list_all("/servers", std::move(q), "servers", cancel);
}

json::object Client::get_server(long long id, const CancelToken *cancel) const {
    json::value doc = http_.get("/servers/" + ids(id), cancel).json();
    member(doc, "server", "GET /servers/" + ids(id));
    return doc.as_object();
}

json::object Client::delete_server(long long id, bool wait, seconds timeout, const CancelToken *cancel) const {
    auto deadline = steady_clock::now() + timeout;
    json::value doc = http_.del("/servers/" + ids(id), cancel).json();
    json::object action = member(doc, "action", "DELETE /servers/" + ids(id));
    if (wait) action = wait_until_done(std::move(action), deadline, cancel);
    return json::object{{"action", std::move(action)}};
}

json::object Client::power(long long id, std::string_view action_name, bool wait, seconds timeout,
                           const CancelToken *cancel) const {
    static constexpr std::string_view allowed[] = {"poweron", "poweroff", "reboot", "reset", "shutdown"};
    if (std::find(std::begin(allowed), std::end(allowed), action_name) == std::end(allowed))
        raise(WPH_EINVALID, kProvider,
              "hetzner: \"action\" must be one of poweron, poweroff, reboot, reset, shutdown (not \"" +
                  std::string(action_name) + "\")");
    auto deadline = steady_clock::now() + timeout;
    std::string path = "/servers/" + ids(id) + "/actions/" + std::string(action_name);
    json::value doc = http_.post_json(path, json::object{}, cancel).json();
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

json::object Client::create_ssh_key(std::string_view name, std::string_view public_key, const json::object &labels,
                                    const CancelToken *cancel) const {
    json::object body{{"name", name}, {"public_key", public_key}};
    if (!labels.empty()) {
        check_labels(labels, "labels");
        body["labels"] = labels;
    }
    json::value doc = http_.post_json("/ssh_keys", body, cancel).json();
    member(doc, "ssh_key", "POST /ssh_keys");
    return doc.as_object();
}

json::object Client::list_ssh_keys(const CancelToken *cancel) const { return list_all("/ssh_keys", {}, "ssh_keys", cancel); }

json::object Client::get_ssh_key(long long id, const CancelToken *cancel) const {
    json::value doc = http_.get("/ssh_keys/" + ids(id), cancel).json();
    member(doc, "ssh_key", "GET /ssh_keys/" + ids(id));
    return doc.as_object();
}

void Client::delete_ssh_key(long long id, const CancelToken *cancel) const { http_.del("/ssh_keys/" + ids(id), cancel); }

json::object Client::create_firewall(std::string_view name, const json::array &rules, const json::object &labels,
                                     const json::array &apply_to, const CancelToken *cancel) const {
    json::object body{{"name", name}};
    if (!rules.empty()) body["rules"] = rules;
    if (!labels.empty()) {
        check_labels(labels, "labels");
        body["labels"] = labels;
    }
    if (!apply_to.empty()) body["apply_to"] = apply_to;
    json::value doc = http_.post_json("/firewalls", body, cancel).json();
    member(doc, "firewall", "POST /firewalls");
    return doc.as_object();
}

json::object Client::list_firewalls(const CancelToken *cancel) const { return list_all("/firewalls", {}, "firewalls", cancel); }

json::object Client::get_firewall(long long id, const CancelToken *cancel) const {
    json::value doc = http_.get("/firewalls/" + ids(id), cancel).json();
    member(doc, "firewall", "GET /firewalls/" + ids(id));
    return doc.as_object();
}

void Client::delete_firewall(long long id, const CancelToken *cancel) const { http_.del("/firewalls/" + ids(id), cancel); }

json::object Client::set_firewall_rules(long long id, const json::array &rules, const CancelToken *cancel) const {
    std::string path = "/firewalls/" + ids(id) + "/actions/set_rules";
    json::value doc = http_.post_json(path, json::object{{"rules", rules}}, cancel).json();
    if (!doc.is_object()) raise(WPH_EPROVIDER, kProvider, "hetzner: POST " + path + ": the answer is not an object");
    return doc.as_object();
}

json::object Client::apply_firewall(long long id, const std::vector<long long> &server_ids,
                                    const CancelToken *cancel) const {
    std::string path = "/firewalls/" + ids(id) + "/actions/apply_to_resources";
    json::array apply;
    for (long long s : server_ids) apply.push_back(json::object{{"type", "server"}, {"server", {{"id", s}}}});
    json::value doc = http_.post_json(path, json::object{{"apply_to", std::move(apply)}}, cancel).json();
    if (!doc.is_object()) raise(WPH_EPROVIDER, kProvider, "hetzner: POST " + path + ": the answer is not an object");
    return doc.as_object();
}

// ---- operations by name ----

namespace {

void only(const Params &p, std::initializer_list<std::string_view> fields) {
    for (const auto &kv : p.obj)
        if (std::find(fields.begin(), fields.end(), std::string_view(kv.key())) == fields.end())
            p.invalid(kv.key(), "is not a parameter of this operation");
}

long long id_of(const Params &p, std::string_view field = "id") {
    long long id = p.integer(field);
    if (id <= 0) p.invalid(field, "must be a positive integer");
    return id;
}

seconds timeout_of(const Params &p) {
    long long t = p.integer_or("timeout_s", 600);
    if (t <= 0) p.invalid("timeout_s", "must be a positive number of seconds");
    return seconds(t);
}

json::object object_or_empty(const Params &p, std::string_view field) {
    const json::value *v = p.get(field);
    if (!v || v->is_null()) return {};
    if (!v->is_object()) p.invalid(field, "must be an object");
    return v->get_object();
}

json::array array_or_empty(const Params &p, std::string_view field) {
    const json::value *v = p.get(field);
    if (!v || v->is_null()) return {};
    if (!v->is_array()) p.invalid(field, "must be an array");
    return v->get_array();
}

std::vector<long long> ids_of(const Params &p, std::string_view field, bool required) {
    const json::value *v = p.get(field);
    if (!v) {
        if (required) p.invalid(field, "is required");
        return {};
    }
    if (!v->is_array()) p.invalid(field, "must be an array of ids");
    std::vector<long long> out;
    for (const auto &x : v->get_array()) {
        if (!x.is_int64() || x.get_int64() <= 0) p.invalid(field, "must be an array of positive integer ids");
        out.push_back(x.get_int64());
    }
    if (required && out.empty()) p.invalid(field, "must not be empty");
    return out;
}

json::array firewall_rules(const Params &p, std::string_view field, bool required) {
    const json::value *v = p.get(field);
    if (!v) {
        if (required) p.invalid(field, "is required");
        return {};
    }
    if (!v->is_array()) p.invalid(field, "must be an array of rules");
    for (const auto &r : v->get_array()) {
        if (!r.is_object()) p.invalid(field, "must be an array of rule objects");
        const auto &o = r.get_object();
        std::string dir = str_field(o, "direction");
        if (dir != "in" && dir != "out") p.invalid(field, "rule \"direction\" must be \"in\" or \"out\"");
        std::string proto = str_field(o, "protocol");
        if (proto != "tcp" && proto != "udp" && proto != "icmp" && proto != "esp" && proto != "gre")
            p.invalid(field, "rule \"protocol\" must be tcp, udp, icmp, esp or gre");
        if ((proto == "tcp" || proto == "udp") && str_field(o, "port").empty())
            p.invalid(field, "a tcp or udp rule needs a \"port\"");
    }
    return v->get_array();
}

class HetznerProvider final : public OperationTable {
public:
    explicit HetznerProvider(Client c) : OperationTable(kProvider), c_(std::move(c)) {
        using P = const Params &;
        using C = const CancelToken *;
        add("server.create", [this](P p, C cancel) -> json::value {
            only(p, {"name", "server_type", "image", "location", "datacenter", "ssh_keys", "user_data", "labels",
                     "firewalls", "start_after_create", "wait", "timeout_s"});
            ServerCreate s;
            s.name = p.str("name");
            s.server_type = p.str("server_type");
            s.image = p.str("image");
            s.location = p.str_or("location", "");
            s.datacenter = p.str_or("datacenter", "");
            if (const json::value *k = p.get("ssh_keys")) {
                if (!k->is_array()) p.invalid("ssh_keys", "must be an array of key names or ids");
                s.ssh_keys.assign(k->get_array().begin(), k->get_array().end());
            }
            s.user_data = p.str_or("user_data", "");
            s.labels = object_or_empty(p, "labels");
            s.firewalls = ids_of(p, "firewalls", false);
            if (p.get("start_after_create")) s.start_after_create = p.boolean_or("start_after_create", true);
            bool wait = p.boolean_or("wait", true);
            auto timeout = timeout_of(p);
            return c_.create_server(s, wait, timeout, cancel);
        });
        add("server.list", [this](P p, C cancel) -> json::value {
            only(p, {"label_selector", "name"});
            return c_.list_servers(p.str_or("label_selector", ""), p.str_or("name", ""), cancel);
        });
        add("server.get", [this](P p, C cancel) -> json::value {
            only(p, {"id"});
            return c_.get_server(id_of(p), cancel);
        });
        add("server.delete", [this](P p, C cancel) -> json::value {
            only(p, {"id", "wait", "timeout_s"});
            long long id = id_of(p);
            return c_.delete_server(id, p.boolean_or("wait", true), timeout_of(p), cancel);
        });
        add("server.power", [this](P p, C cancel) -> json::value {
            only(p, {"id", "action", "wait", "timeout_s"});
            long long id = id_of(p);
            std::string action = p.str("action");
            static constexpr std::string_view allowed[] = {"poweron", "poweroff", "reboot", "reset", "shutdown"};
            if (std::find(std::begin(allowed), std::end(allowed), action) == std::end(allowed))
                p.invalid("action", "must be one of poweron, poweroff, reboot, reset, shutdown");
            return c_.power(id, action, p.boolean_or("wait", true), timeout_of(p), cancel);
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
            only(p, {"name", "public_key", "labels"});
            std::string name = p.str("name"), key = p.str("public_key");
            if (name.empty()) p.invalid("name", "must not be empty");
            if (key.empty()) p.invalid("public_key", "must not be empty");
            return c_.create_ssh_key(name, key, object_or_empty(p, "labels"), cancel);
        });
        add("ssh_key.list", [this](P p, C cancel) -> json::value {
            only(p, {});
            return c_.list_ssh_keys(cancel);
        });
        add("ssh_key.get", [this](P p, C cancel) -> json::value {
            only(p, {"id"});
            return c_.get_ssh_key(id_of(p), cancel);
        });
        add("ssh_key.delete", [this](P p, C cancel) -> json::value {
            only(p, {"id"});
            c_.delete_ssh_key(id_of(p), cancel);
            return json::object{};
        });
        add("firewall.create", [this](P p, C cancel) -> json::value {
            only(p, {"name", "rules", "labels", "apply_to"});
            std::string name = p.str("name");
            if (name.empty()) p.invalid("name", "must not be empty");
            json::array rules = firewall_rules(p, "rules", false);
            // apply_to: server ids, or Hetzner's own resource objects.
            json::array apply;
            for (const auto &a : array_or_empty(p, "apply_to")) {
                if (a.is_int64() && a.get_int64() > 0)
                    apply.push_back(json::object{{"type", "server"}, {"server", {{"id", a.get_int64()}}}});
                else if (a.is_object())
                    apply.push_back(a);
                else
                    p.invalid("apply_to", "must hold server ids or resource objects");
            }
            return c_.create_firewall(name, rules, object_or_empty(p, "labels"), apply, cancel);
        });
        add("firewall.list", [this](P p, C cancel) -> json::value {
            only(p, {});
            return c_.list_firewalls(cancel);
        });
        add("firewall.get", [this](P p, C cancel) -> json::value {
            only(p, {"id"});
            return c_.get_firewall(id_of(p), cancel);
        });
        add("firewall.delete", [this](P p, C cancel) -> json::value {
            only(p, {"id"});
            c_.delete_firewall(id_of(p), cancel);
            return json::object{};
        });
        add("firewall.set_rules", [this](P p, C cancel) -> json::value {
            only(p, {"id", "rules"});
            long long id = id_of(p);
            return c_.set_firewall_rules(id, firewall_rules(p, "rules", true), cancel);
        });
        add("firewall.apply", [this](P p, C cancel) -> json::value {
            only(p, {"id", "server_ids"});
            long long id = id_of(p);
            return c_.apply_firewall(id, ids_of(p, "server_ids", true), cancel);
        });
    }

private:

    Client c_;
};

}  // namespace

}  // namespace wph::provider::hetzner

namespace wph::provider {
std::unique_ptr<Provider> open_hetzner(const boost::json::object &config) {
    return std::make_unique<hetzner::HetznerProvider>(hetzner::Client::from_json(config));
}
}  // namespace wph::provider
