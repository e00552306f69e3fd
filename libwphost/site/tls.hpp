// A self-signed certificate for a site (until ACME issues a real one).
#pragma once

#include <string>
#include <vector>

namespace wph::site {

struct KeyPair {
    std::string key_pem;   // secret
    std::string cert_pem;
};

// EC P-256 key, SHA-256 signature, 397 days, the names as subjectAltName.
KeyPair self_signed_certificate(const std::string &domain, const std::vector<std::string> &aliases);

}  // namespace wph::site
