// Certificates from an ACME CA: the engine-level operations behind
// include/wphost/cert.h (records in the state store, files under the state
// directory, events on renewal failure).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <functional>
#include <string>

namespace wph {
class Engine;
class Job;
class CancelToken;
}  // namespace wph

namespace wph::cert {

// wph_cert_account: register or find the account for these settings
// (null: the host profile's "acme" object).
boost::json::object account(Engine &e, const boost::json::object *acme_settings, const CancelToken *cancel);

// wph_cert_issue: validate the request (WPH_EINVALID naming the field)
// before any network traffic; then order, answer the challenges, finalize,
// download, store (0600) and record. Returns the record (as get()).
// `job` may be null (synchronous use by the site engine); when set, its
// progress and cancel token are used.
boost::json::object issue(Engine &e, Job *job, const boost::json::object &request);
// Throws WPH_EINVALID when the request is malformed; no I/O.
void validate_request(const boost::json::object &request);

// wph_cert_renew.
boost::json::object renew(Engine &e, Job *job, const boost::json::object &options);
// wph_cert_revoke.
boost::json::object revoke(Engine &e, Job *job, const std::string &name, const boost::json::object &options);

boost::json::array list(Engine &e);
boost::json::object get(Engine &e, const std::string &name);  // WPH_ENOTFOUND
// Forget a certificate's record and files (a deleted site), no revocation.
void forget(Engine &e, const std::string &name);

// Called after a certificate that belongs to a site ("site" in its request)
// is issued or renewed, so the site engine installs it and reloads nginx.
using SiteHook = std::function<void(Engine &, const std::string &site, const std::string &key_path,
                                    const std::string &fullchain_path)>;
void set_site_hook(SiteHook hook);

}  // namespace wph::cert
