// Site provisioning and lifecycle: create, delete, suspend, PHP version,
// regenerate, clone, staging and push. Every host action goes through a
// SiteHost; every create step is journalled with its undo before it runs.
#pragma once

#include <functional>
#include <string>

namespace wph {
class Engine;
class Job;
struct HostProfile;
}  // namespace wph

namespace wph::site {

// Called before something destroys a site's data (delete, push onto a live
// site). The backup engine fills it; a throwing hook stops the operation.
using BeforeDestroyHook = std::function<void(Engine &, const std::string &domain, const char *reason)>;
void set_before_destroy_hook(BeforeDestroyHook hook);

// Install a renewed ACME certificate into a site and reload nginx (the
// certificate engine's site hook).
void install_certificate(Engine &e, const std::string &domain, const std::string &key_path, const std::string &fullchain_path);

// Render every file and list every command create would run, without
// touching the host. Returns JSON {"site": spec, "names": ..., "actions": [...]}.
std::string plan_create(Engine &e, const std::string &spec_json);

std::string create(Engine &e, Job &job, const std::string &spec_json);
std::string remove(Engine &e, Job &job, const std::string &domain);
std::string suspend(Engine &e, Job &job, const std::string &domain, bool suspended);
std::string set_php(Engine &e, Job &job, const std::string &domain, const std::string &version);
std::string regenerate(Engine &e, Job &job, const std::string &domain);
// Clone `from` into a new site described by `spec_json` (fields left out
// are the source's). As staging, the copy is noindex and behind a password.
std::string clone(Engine &e, Job &job, const std::string &from, const std::string &spec_json, bool staging);
// Push a staging site onto its live site: {"files": bool, "database": bool, "tables": [...]}.
std::string push(Engine &e, Job &job, const std::string &staging_domain, const std::string &options_json);

std::string list_json(Engine &e);
std::string get_json(Engine &e, const std::string &domain);

// Finish or clean up operations that a crashed process left half done.
// Called by every site operation before it starts.
void recover(Engine &e);

}  // namespace wph::site
