/* libwphost — a managed WordPress hosting engine behind a stable C ABI.
 *
 * Include this header to get every public module. See docs/c-api.md. */
#ifndef WPHOST_H
#define WPHOST_H

#include "wphost/export.h"
#include "wphost/version.h"
#include "wphost/common.h"
#include "wphost/engine.h"
#include "wphost/job.h"
#include "wphost/host.h"
#include "wphost/repo.h"
#include "wphost/site.h"
#include "wphost/probe.h"
#include "wphost/provider.h"
#include "wphost/cert.h"

#endif /* WPHOST_H */
