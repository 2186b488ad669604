/* deploy_settings: what `zrun deploy` remembers. The service record keeps
 * every setting of the last deploy (the version's settings, replicas,
 * --keep-old, --timeout); a later deploy reuses each one that no flag (or,
 * for a version's settings, annotation) gives, and says which ones a flag
 * changed, one line each. */
#ifndef ZRUN_DEPLOY_SETTINGS_H
#define ZRUN_DEPLOY_SETTINGS_H

#include "deploy.h"
#include "service.h"

/* Fill what o leaves unset (replicas 0, keep_old -1, timeout_ms 0) from
 * svc's record, else the defaults, and the base of the version settings
 * (o->vo.base points at base afterwards). */
void deploy_settings_resolve(struct deploy_opts *o, const struct service *svc, struct version_config *base);

/* One "changed" line per setting that differs from svc's record (none for
 * a service deployed for the first time); now: the new version's. */
void deploy_settings_report(const struct deploy_opts *o, const struct service *svc, const struct version_config *now,
			    const char *group, long elapsed_ms);

/* Record the settings of the deploy that succeeded into svc (o NULL: a
 * rollback; the version's settings only). */
void deploy_settings_record(struct service *svc, const struct deploy_opts *o, const struct version_config *now);

#endif
