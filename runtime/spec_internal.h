/* spec_internal: how the spec_*.c files share the parse of one config.json.
 * Not an interface for the rest of runtime/: use spec.h. Each parser fills
 * a zeroed struct in place; on error the caller frees the partial result. */
#ifndef ZRUN_SPEC_INTERNAL_H
#define ZRUN_SPEC_INTERNAL_H

#include "json.h"
#include "spec.h"

/* spec_process.c */
int spec_parse_process_obj(struct json_ctx *c, yajl_val v, struct spec_process *p);

/* spec_linux.c */
int spec_parse_linux(struct json_ctx *c, yajl_val v, struct spec_linux *l);
void spec_linux_free(struct spec_linux *l);
/* One {containerID, hostID, size} (linux.uidMappings, mounts[].uidMappings). */
int spec_parse_id_mapping(struct json_ctx *c, yajl_val v, void *item);

/* spec_resources.c */
int spec_parse_resources(struct json_ctx *c, yajl_val v, struct spec_resources *r);
void spec_resources_free(struct spec_resources *r);

/* spec.c: obj[key] as a string-to-string map (annotations, sysctl, unified). */
int spec_parse_kv(struct json_ctx *c, yajl_val obj, const char *key, struct spec_kv **out,
		  size_t *len);
void spec_kv_free(struct spec_kv *kv, size_t len);
/* obj[key] as a uid or gid: 0..SPEC_ID_MAX, never (uint32_t)-1. Returns 1
 * when read, 0 when absent (out untouched), -1 on error. */
#define SPEC_ID_MAX (UINT32_MAX - 1)
int spec_get_id(struct json_ctx *c, yajl_val obj, const char *key, uint32_t *out);
/* A path that must be absolute; `what` is only for the message. */
int spec_check_absolute(struct json_ctx *c, const char *key, const char *path);

#endif
