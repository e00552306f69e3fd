// Probe definitions and results: plain data shared by the definition
// parser, the condition evaluator, the runner, the store and the exporters.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wph::probe {

enum class Kind { http, tcp, dns };

struct Timeouts {                        // milliseconds; 0 = no separate limit for the phase
    std::int64_t dns = 0;
    std::int64_t connect = 0;
    std::int64_t tls = 0;
    std::int64_t first_byte = 0;
    std::int64_t total = 10000;          // always set: every probe ends within it
};

struct TlsOptions {
    bool verify = true;                  // peer and host name
    std::string ca_file;                 // PEM bundle; empty: the system's
    std::string client_cert, client_key; // PEM files, optional
    std::string server_name;             // SNI and name checked; empty: the URL's host
};

struct DnsQuery {
    std::string name;                    // query name ("example.com")
    std::string type = "A";              // A, AAAA, CNAME, MX, NS, TXT, SOA, PTR, SRV, CAA
};

struct ProbeDef {
    std::string name;                    // unique within a list
    std::string group;
    std::string url;                     // http(s)://..., tcp://host:port, dns://server[:port]
    Kind kind = Kind::http;
    std::string host;                    // from the URL (for dns: the server)
    int port = 0;                        // from the URL or the scheme's default
    std::string method = "GET";
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::vector<std::string> resolve;    // curl-style "host:port:address" overrides
    std::chrono::milliseconds interval{60000};
    Timeouts timeouts;
    TlsOptions tls;
    DnsQuery dns;
    std::vector<std::string> conditions; // "[STATUS] == 200", ... (validated)
    bool wordpress = false;              // add the WordPress health conditions
    std::size_t max_body = 1u << 20;     // bytes read at most; more is a failure
    int max_redirects = 10;              // followed; more is a failure ("redirect loop")
    bool follow_redirects = true;
    // Alerting (Gatus's thresholds).
    int failure_threshold = 3;
    int success_threshold = 2;
};

struct ConditionResult {
    std::string condition;
    bool success = false;
    std::string detail;                  // e.g. "[STATUS] (503) == 200"
};

struct Timings {                         // seconds since the probe started; negative = phase not reached
    double dns = -1, connect = -1, tls = -1, first_byte = -1, total = 0;
};

struct ProbeResult {
    std::string name, group, url;
    std::int64_t started_at_ms = 0;      // Unix time
    bool success = false;                // connected and every condition held
    bool connected = false;
    std::string error;                   // why it failed before the conditions (timeout, refused, TLS, ...)
    Timings timings;
    int status = 0;                      // HTTP status
    std::string ip;                      // address connected to
    std::string http_version;            // "1.1", "2"
    std::int64_t redirects = 0;
    std::string body;                    // at most max_body bytes (not stored)
    std::int64_t body_bytes = 0;
    bool body_truncated = false;
    std::optional<std::int64_t> cert_expiry;  // earliest notAfter of the chain, Unix seconds
    std::string tls_version;
    // DNS
    std::string dns_rcode;               // NOERROR, NXDOMAIN, SERVFAIL, ...
    std::vector<std::string> dns_answers;
    std::vector<ConditionResult> conditions;
};

// Duration text: "500ms", "10s", "5m", "72h", "1h30m", or a bare integer of
// milliseconds. std::nullopt for anything else.
std::optional<std::int64_t> parse_duration_ms(const std::string &text);

}  // namespace wph::probe
