// libFuzzer: ACME messages from a CA (libwphost/cert/acme.*). The input is
// a response body.
//   - parse_problem never throws; a problem it returns becomes an error
//     whose message starts "acme: " and whose code is one a caller can
//     branch on; the same for a failed challenge;
//   - parse_directory / parse_order / parse_authorization throw nothing but
//     wph::Error WPH_EPROVIDER ("... from the CA is malformed ...");
//   - what they accept is consistent (an authorization's name is its
//     identifier, with "*." when it is a wildcard);
//   - name_problem never throws, and every name it accepts is at most 253
//     characters of [a-z0-9.-] with an optional "*." in front.
#include <boost/json/parse.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cert/acme.hpp"
#include "engine/error.hpp"

using namespace wph::cert::acme;

namespace {

void require(bool ok, const char *what, std::string_view input) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_acme: property violated: %s\n%.*s\n", what, static_cast<int>(input.size()), input.data());
        std::abort();
    }
}

bool branchable(int code) {
    return code == WPH_EPROVIDER || code == WPH_EAUTH || code == WPH_EINVALID || code == WPH_ENOTFOUND ||
           code == WPH_ECONFLICT;
}

template <class F> void only_provider_errors(F &&f, std::string_view in) {
    try {
        f();
    } catch (const wph::Error &e) {
        require(e.code() == WPH_EPROVIDER, "parser threw a code other than WPH_EPROVIDER", in);
        require(e.message().rfind("acme: ", 0) == 0, "parser message does not start with \"acme: \"", in);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char *>(data), size);

    if (auto p = parse_problem(in)) {
        auto e = problem_error(*p, 400, "newOrder", 5);
        require(branchable(e.code()), "problem_error gave an unexpected code", in);
        require(e.message().rfind("acme: ", 0) == 0, "problem_error message does not start with \"acme: \"", in);
        auto c = challenge_error("a.test", "http-01", p, 403);
        require(c.code() == WPH_EPROVIDER || c.code() == WPH_EAUTH, "challenge_error gave an unexpected code", in);
        require(c.message().find("http-01 for a.test") != std::string::npos, "challenge_error lost the name", in);
    }

    boost::system::error_code ec;
    auto v = boost::json::parse(in, ec);
    if (!ec) {
        only_provider_errors([&] { parse_directory(v); }, in);
        only_provider_errors([&] { parse_order(v); }, in);
        only_provider_errors(
            [&] {
                auto a = parse_authorization(v);
                require(a.name() == (a.wildcard ? "*." + a.identifier : a.identifier), "authorization name", in);
                for (auto &ch : a.challenges) require(a.find(ch.type) != nullptr, "find() misses a challenge", in);
            },
            in);
    }

    std::string name(in.substr(0, 300));
    if (name_problem(name).empty()) {
        require(name.size() <= 253, "accepted a name longer than 253", in);
        std::string_view rest = name;
        if (rest.substr(0, 2) == "*.") rest.remove_prefix(2);
        for (char c : rest)
            require((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.', "accepted a bad character", in);
    }
    return 0;
}
