/* logfiles: the files a service's versions log to, DIR/ID.log (service_log.h:
 * /var/log/zrun/NAME or ROOT/.logs/NAME; rotated to ID.log.1 and ID.log.2 by the supervisor that
 * writes them, supervise.h), and how long those of replaced versions stay. */
#ifndef ZRUN_LOGFILES_H
#define ZRUN_LOGFILES_H

/* Remove the logs of replaced versions (no container of the service any
 * more) but those of the last keep_versions of them (a replica group
 * counts once), newest by the files' mtime. */
#define LOGFILES_KEEP_REPLACED 2
void logfiles_prune(const char *root, const char *service, int keep_versions);

#endif
