/* test_spec: config.json parsing (runtime/spec*.c) and its bounded JSON
 * front door (runtime/json.c). JSON below is written with ' for " to stay
 * readable; q() turns it into real JSON. */
#include "json.h"
#include "spec.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEAD "{'ociVersion':'1.2.0','root':{'path':'rootfs'},"
#define PROC "'process':{'args':['sh'],'cwd':'/'}"

/* The test's JSON with ' turned into ". Caller frees. */
static char *q(const char *s)
{
	char *out = strdup(s), *p;

	for (p = out; p != NULL && *p != '\0'; p++) {
		if (*p == '\'')
			*p = '"';
	}
	return out;
}

static struct spec *parse_q(const char *single_quoted, struct zrun_error *err)
{
	char *json = q(single_quoted);
	struct spec *s;

	zrun_error_clear(err);
	s = spec_parse(json, strlen(json), "config.json", err);
	free(json);
	return s;
}

/* Parsing must fail with exactly `want`. */
#define CHECK_REJECTS(doc, want) do { struct zrun_error e_; \
	struct spec *s_ = parse_q((doc), &e_); \
	CHECK(s_ == NULL); spec_free(s_); \
	CHECK_STR(s_ == NULL ? e_.msg : "(parsed)", (want)); } while (0)

#define CHECK_CONTAINS(got, want) do { const char *g2_ = (got), *w2_ = (want); \
	if (g2_ == NULL || strstr(g2_, w2_) == NULL) { \
	printf("#   %s:%d: expected text containing \"%s\", saw \"%s\"\n", __FILE__, __LINE__, \
	       w2_, g2_ ? g2_ : "(null)"); unit_case_failed = 1; } } while (0)

static const char full_config[] =
	"{'ociVersion':'1.2.0',"
	"'process':{'terminal':true,'consoleSize':{'height':24,'width':80},"
	" 'user':{'uid':1000,'gid':1001,'umask':18,'additionalGids':[5,6]},"
	" 'args':['/bin/app','--port','8080'],"
	" 'env':['PATH=/bin','A=b'],'cwd':'/srv',"
	" 'capabilities':{'bounding':['CAP_KILL','CAP_CHOWN'],'effective':['CAP_KILL']},"
	" 'rlimits':[{'type':'RLIMIT_NOFILE','soft':1024,'hard':4096},"
	"            {'type':'RLIMIT_CORE','soft':0,'hard':0}],"
	" 'noNewPrivileges':true,'apparmorProfile':'zrun-default','oomScoreAdj':-500},"
	"'root':{'path':'rootfs','readonly':true},"
	"'hostname':'api','domainname':'example.org',"
	"'mounts':[{'destination':'/proc','type':'proc','source':'proc'},"
	"          {'destination':'/data','source':'/srv/data','options':['rbind','ro']}],"
	"'hooks':{'prestart':[{'path':'/usr/bin/hook','args':['hook','pre'],'timeout':5}],"
	"         'poststop':[{'path':'/usr/bin/hook2'}]},"
	"'annotations':{'zrun.swap/probe':'http://:8080/ready','b':'c'},"
	"'linux':{"
	" 'namespaces':[{'type':'pid'},{'type':'network','path':'/run/netns/api'},"
	"               {'type':'mount'},{'type':'user'},{'type':'time'}],"
	" 'uidMappings':[{'containerID':0,'hostID':100000,'size':65536}],"
	" 'gidMappings':[{'containerID':0,'hostID':200000,'size':1000}],"
	" 'devices':[{'path':'/dev/fuse','type':'c','major':10,'minor':229,'fileMode':438,"
	"             'uid':0,'gid':0},{'path':'/dev/myfifo','type':'p'}],"
	" 'cgroupsPath':'/zrun/api',"
	" 'resources':{"
	"  'devices':[{'allow':false,'access':'rwm'},"
	"             {'allow':true,'type':'c','major':10,'minor':229,'access':'rw'}],"
	"  'memory':{'limit':536870912,'reservation':-1,'swap':-1,'swappiness':60,"
	"            'disableOOMKiller':false},"
	"  'cpu':{'shares':1024,'quota':50000,'period':100000,'cpus':'0-1','mems':'0','idle':1},"
	"  'pids':{'limit':100},"
	"  'blockIO':{'weight':500,'weightDevice':[{'major':8,'minor':0,'weight':200}],"
	"             'throttleReadBpsDevice':[{'major':8,'minor':0,'rate':1048576}]},"
	"  'hugepageLimits':[{'pageSize':'2MB','limit':209715200}],"
	"  'network':{'classID':1048577},"
	"  'unified':{'memory.high':'400M','io.weight':'default 100'}},"
	" 'rootfsPropagation':'rslave',"
	" 'maskedPaths':['/proc/kcore','/sys/firmware'],'readonlyPaths':['/proc/sys'],"
	" 'mountLabel':'system_u:object_r:container_file_t:s0',"
	" 'sysctl':{'net.ipv4.ip_forward':'1'},"
	" 'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':1,"
	"            'architectures':['SCMP_ARCH_X86_64'],'flags':['SECCOMP_FILTER_FLAG_LOG'],"
	"            'syscalls':[{'names':['read','write'],'action':'SCMP_ACT_ALLOW'},"
	"                        {'names':['personality'],'action':'SCMP_ACT_ALLOW',"
	"                         'args':[{'index':0,'value':8,'op':'SCMP_CMP_EQ'}]}]},"
	" 'timeOffsets':{'boottime':{'secs':3600,'nanosecs':5},'monotonic':{'secs':-10}},"
	" 'intelRdt':{'closID':'x'},"
	" 'personality':{'domain':'LINUX32'}}}";

TEST(parses_full_config_into_every_section)
{
	struct zrun_error err;
	struct spec *s = parse_q(full_config, &err);

	CHECK_STR(s == NULL ? err.msg : "", "");
	if (s == NULL)
		return;
	CHECK_STR(s->oci_version, "1.2.0");
	CHECK_STR(s->root.path, "rootfs");
	CHECK(s->root.readonly);
	CHECK_STR(s->hostname, "api");
	CHECK_STR(s->domainname, "example.org");

	CHECK(s->process->terminal);
	CHECK(s->process->has_console_size);
	CHECK_INT(s->process->console_size.width, 80);
	CHECK_INT(s->process->user.uid, 1000);
	CHECK_INT(s->process->user.gid, 1001);
	CHECK(s->process->user.has_umask);
	CHECK_INT(s->process->user.umask, 18);
	CHECK_INT(s->process->user.additional_gids_len, 2);
	CHECK_INT(s->process->user.additional_gids[1], 6);
	CHECK_STR(s->process->args[0], "/bin/app");
	CHECK_STR(s->process->args[2], "8080");
	CHECK(s->process->args[3] == NULL);
	CHECK_STR(s->process->env[1], "A=b");
	CHECK_STR(s->process->cwd, "/srv");
	CHECK_STR(s->process->capabilities->bounding[1], "CAP_CHOWN");
	CHECK(s->process->capabilities->permitted == NULL);
	CHECK_INT(s->process->rlimits_len, 2);
	CHECK_INT(s->process->rlimits[0].resource, RLIMIT_NOFILE);
	CHECK_INT(s->process->rlimits[0].hard, 4096);
	CHECK_INT(s->process->rlimits[1].resource, RLIMIT_CORE);
	CHECK(s->process->no_new_privileges);
	CHECK_STR(s->process->apparmor_profile, "zrun-default");
	CHECK(s->process->has_oom_score_adj);
	CHECK_INT(s->process->oom_score_adj, -500);

	CHECK_INT(s->mounts_len, 2);
	CHECK_STR(s->mounts[0].type, "proc");
	CHECK(s->mounts[0].options != NULL && s->mounts[0].options[0] == NULL);
	CHECK(s->mounts[1].type == NULL);
	CHECK_STR(s->mounts[1].options[1], "ro");
	CHECK_INT(s->hooks.prestart.len, 1);
	CHECK_STR(s->hooks.prestart.hooks[0].args[1], "pre");
	CHECK(s->hooks.prestart.hooks[0].has_timeout);
	CHECK_INT(s->hooks.prestart.hooks[0].timeout_s, 5);
	CHECK_STR(s->hooks.poststop.hooks[0].path, "/usr/bin/hook2");
	CHECK(!s->hooks.poststop.hooks[0].has_timeout);
	CHECK_INT(s->hooks.create_runtime.len, 0);
	CHECK_STR(spec_annotation(s, "zrun.swap/probe"), "http://:8080/ready");
	CHECK(spec_annotation(s, "missing") == NULL);
	spec_free(s);
}

TEST(parses_full_linux_section)
{
	struct zrun_error err;
	struct spec *s = parse_q(full_config, &err);
	struct spec_linux *l;
	struct spec_resources *r;

	if (s == NULL) {
		CHECK_STR(err.msg, "");
		return;
	}
	l = s->linux_;
	CHECK_INT(l->namespaces_len, 5);
	CHECK_STR(spec_namespace_find(s, SPEC_NS_NETWORK)->path, "/run/netns/api");
	CHECK(spec_namespace_find(s, SPEC_NS_PID)->path == NULL);
	CHECK(spec_namespace_find(s, SPEC_NS_IPC) == NULL);
	CHECK_INT(l->uid_mappings[0].host_id, 100000);
	CHECK_INT(l->gid_mappings[0].size, 1000);
	CHECK_INT(l->devices_len, 2);
	CHECK_INT(l->devices[0].type, 'c');
	CHECK_INT(l->devices[0].minor, 229);
	CHECK(l->devices[0].has_file_mode);
	CHECK_INT(l->devices[0].file_mode, 0666);
	CHECK_INT(l->devices[1].type, 'p');
	CHECK_STR(l->cgroups_path, "/zrun/api");
	CHECK_STR(l->rootfs_propagation, "rslave");
	CHECK_STR(l->masked_paths[1], "/sys/firmware");
	CHECK_STR(l->readonly_paths[0], "/proc/sys");
	CHECK_STR(l->mount_label, "system_u:object_r:container_file_t:s0");
	CHECK_STR(l->sysctl[0].key, "net.ipv4.ip_forward");
	CHECK_STR(l->seccomp->default_action, "SCMP_ACT_ERRNO");
	CHECK_INT(l->seccomp->default_errno_ret, 1);
	CHECK_STR(l->seccomp->flags[0], "SECCOMP_FILTER_FLAG_LOG");
	CHECK_INT(l->seccomp->syscalls_len, 2);
	CHECK_STR(l->seccomp->syscalls[0].names[1], "write");
	CHECK_INT(l->seccomp->syscalls[1].args[0].value, 8);
	CHECK_STR(l->seccomp->syscalls[1].args[0].op, "SCMP_CMP_EQ");
	CHECK(l->has_time_offsets);
	CHECK_INT(l->time_boottime.secs, 3600);
	CHECK_INT(l->time_boottime.nanosecs, 5);
	CHECK_INT(l->time_monotonic.secs, -10);
	CHECK(l->has_intel_rdt);
	CHECK(l->has_personality);
	CHECK_STR(l->personality_domain, "LINUX32");

	r = l->resources;
	CHECK_INT(r->devices_len, 2);
	CHECK_INT(r->devices[0].type, 'a');
	CHECK(!r->devices[0].has_major);
	CHECK(r->devices[1].allow);
	CHECK_STR(r->devices[1].access, "rw");
	CHECK(r->has_memory_limit);
	CHECK_INT(r->memory_limit, 536870912);
	CHECK_INT(r->memory_reservation, -1);
	CHECK(!r->has_memory_kernel);
	CHECK_INT(r->memory_swappiness, 60);
	CHECK(r->has_disable_oom_killer && !r->disable_oom_killer);
	CHECK_INT(r->cpu_quota, 50000);
	CHECK_STR(r->cpu_cpus, "0-1");
	CHECK(r->has_cpu_idle);
	CHECK(!r->has_cpu_burst);
	CHECK_INT(r->pids_limit, 100);
	CHECK_INT(r->blkio_weight, 500);
	CHECK_INT(r->blkio_weight_device[0].weight, 200);
	CHECK(!r->blkio_weight_device[0].has_leaf_weight);
	CHECK_INT(r->blkio_throttle_read_bps[0].rate, 1048576);
	CHECK_INT(r->blkio_throttle_write_bps_len, 0);
	CHECK_STR(r->hugepage_limits[0].page_size, "2MB");
	CHECK_INT(r->network_class_id, 1048577);
	CHECK_INT(r->unified_len, 2);
	CHECK_STR(r->unified[1].value, "default 100");
	spec_free(s);
}

TEST(accepts_minimal_config_without_process_or_linux)
{
	struct zrun_error err;
	struct spec *s = parse_q("{'ociVersion':'1.0.0','root':{'path':'/abs/rootfs'}}", &err);

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK(s->process == NULL);
	CHECK(s->linux_ == NULL);
	CHECK_INT(s->mounts_len, 0);
	CHECK(spec_namespace_find(s, SPEC_NS_PID) == NULL);
	spec_free(s);
}

TEST(ignores_unknown_fields_and_null_members)
{
	struct zrun_error err;
	struct spec *s = parse_q(HEAD "'process':{'args':['sh'],'cwd':'/','ioPriority':{'class':"
				 "'IOPRIO_CLASS_IDLE'},'future':[1,2,{}]},'vm':{'x':1},"
				 "'hostname':null,'linux':{'netDevices':{'eth0':{}},'rdma':{}}}",
				 &err);

	CHECK_STR(s == NULL ? err.msg : "", "");
	if (s != NULL) {
		CHECK(s->hostname == NULL);
		CHECK(s->linux_ != NULL);
	}
	spec_free(s);
}

TEST(last_duplicate_key_wins_as_in_go)
{
	struct zrun_error err;
	struct spec *s = parse_q(HEAD PROC ",'hostname':'a','hostname':'b'}", &err);

	CHECK(s != NULL);
	if (s != NULL)
		CHECK_STR(s->hostname, "b");
	spec_free(s);
}

TEST(parses_uint64_max_rlimit)
{
	struct zrun_error err;
	struct spec *s = parse_q(HEAD "'process':{'args':['sh'],'cwd':'/','rlimits':[{'type':"
				 "'RLIMIT_MEMLOCK','soft':18446744073709551615,'hard':"
				 "18446744073709551615}]}}", &err);

	CHECK_STR(s == NULL ? err.msg : "", "");
	if (s != NULL) {
		CHECK(s->process->rlimits[0].soft == UINT64_MAX);
		CHECK(s->process->rlimits[0].hard == UINT64_MAX);
		CHECK_INT(s->process->rlimits[0].resource, RLIMIT_MEMLOCK);
	}
	spec_free(s);
}

TEST(parses_int64_extremes_exactly)
{
	struct zrun_error err;
	struct spec *s = parse_q(HEAD "'linux':{'resources':{'memory':{'limit':"
				 "-9223372036854775808,'swap':9223372036854775807}}}}", &err);

	CHECK_STR(s == NULL ? err.msg : "", "");
	if (s != NULL) {
		CHECK(s->linux_->resources->memory_limit == INT64_MIN);
		CHECK(s->linux_->resources->memory_swap == INT64_MAX);
	}
	spec_free(s);
}

TEST(rejects_rlimit_above_uint64_max)
{
	CHECK_REJECTS(HEAD "'process':{'args':['sh'],'cwd':'/','rlimits':[{'type':'RLIMIT_NOFILE',"
		      "'soft':18446744073709551616,'hard':1}]}}",
		      "config.json: process.rlimits[0].soft: must be an integer between 0 and "
		      "18446744073709551615");
}

TEST(rejects_negative_rlimit)
{
	CHECK_REJECTS(HEAD "'process':{'args':['sh'],'cwd':'/','rlimits':[{'type':'RLIMIT_NOFILE',"
		      "'soft':1,'hard':-1}]}}",
		      "config.json: process.rlimits[0].hard: must be an integer between 0 and "
		      "18446744073709551615");
}

TEST(rejects_unknown_rlimit_type)
{
	CHECK_REJECTS(HEAD "'process':{'args':['sh'],'cwd':'/','rlimits':[{'type':'RLIMIT_NOFILE',"
		      "'soft':1,'hard':1},{'type':'RLIMIT_FOO','soft':1,'hard':1}]}}",
		      "config.json: process.rlimits[1].type: unknown rlimit \"RLIMIT_FOO\"");
}

TEST(rejects_duplicate_rlimit_type)
{
	CHECK_REJECTS(HEAD "'process':{'args':['sh'],'cwd':'/','rlimits':[{'type':'RLIMIT_NOFILE',"
		      "'soft':1,'hard':1},{'type':'RLIMIT_NOFILE','soft':2,'hard':2}]}}",
		      "config.json: process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\"");
}

TEST(rejects_empty_args_with_json_path)
{
	CHECK_REJECTS(HEAD "'process':{'args':[],'cwd':'/'}}",
		      "config.json: process.args: must be a non-empty array of strings");
}

TEST(rejects_missing_or_non_string_args_with_json_path)
{
	CHECK_REJECTS(HEAD "'process':{'cwd':'/'}}",
		      "config.json: process.args: must be a non-empty array of strings");
	CHECK_REJECTS(HEAD "'process':{'args':['sh',1],'cwd':'/'}}",
		      "config.json: process.args: must be a non-empty array of strings");
	CHECK_REJECTS(HEAD "'process':{'args':'sh','cwd':'/'}}",
		      "config.json: process.args: must be a non-empty array of strings");
}

TEST(rejects_fractional_memory_limit_with_json_path)
{
	CHECK_REJECTS(HEAD "'linux':{'resources':{'memory':{'limit':1.5}}}}",
		      "config.json: linux.resources.memory.limit: must be an integer");
	CHECK_REJECTS(HEAD "'linux':{'resources':{'memory':{'limit':'1G'}}}}",
		      "config.json: linux.resources.memory.limit: must be an integer");
	CHECK_REJECTS(HEAD "'linux':{'resources':{'memory':{'limit':1e3}}}}",
		      "config.json: linux.resources.memory.limit: must be an integer");
}

TEST(rejects_ids_that_are_not_real_ids_with_json_path)
{
	CHECK_REJECTS(HEAD "'process':{'args':['sh'],'cwd':'/','user':{'uid':4294967295,'gid':0}}}",
		      "config.json: process.user.uid: 4294967295 is not a valid id (at most 4294967294; "
		      "4294967295 is -1, which the kernel reads as \"unchanged\")");
	CHECK_REJECTS(HEAD "'process':{'args':['sh'],'cwd':'/','user':{'uid':0,'gid':0,"
		      "'additionalGids':[1,4294967295]}}}",
		      "config.json: process.user.additionalGids[1]: 4294967295 is not a valid gid (at most 4294967294)");
	CHECK_REJECTS(HEAD PROC ",'linux':{'uidMappings':[{'containerID':1,'hostID':4294967290,'size':6}]}}",
		      "config.json: linux.uidMappings[0].hostID: 4294967290 + size 6 runs past the last valid id 4294967294");
	/* the last valid id is fine */
	struct zrun_error err;
	struct spec *s = parse_q(HEAD "'process':{'args':['sh'],'cwd':'/','user':{'uid':4294967294,"
				 "'gid':4294967294}},'linux':{'uidMappings':[{'containerID':0,"
				 "'hostID':4294967294,'size':1}]}}", &err);
	CHECK(s != NULL);
	if (s != NULL)
		CHECK_INT(s->process->user.uid, 4294967294u);
	spec_free(s);
}

TEST(rejects_a_nul_escape_in_any_string_with_json_path)
{
	CHECK_REJECTS(HEAD "'process':{'args':['sh','-c\\u0000x'],'cwd':'/'}}",
		      "config.json: process.args[1]: must not contain a NUL character (\\u0000)");
	CHECK_REJECTS(HEAD PROC ",'annotations':{'a':'b','k\\u0000':'v'}}",
		      "config.json: annotations: a member name must not contain a NUL character (\\u0000)");
	CHECK_REJECTS(HEAD PROC ",'mounts':[{'destination':'/a'},{'destination':'/b\\u0000'}]}",
		      "config.json: mounts[1].destination: must not contain a NUL character (\\u0000)");
	/* an escaped backslash followed by u0000 is text, not a NUL */
	struct zrun_error err;
	struct spec *s = parse_q(HEAD PROC ",'hostname':'a\\\\u0000'}", &err);
	CHECK(s != NULL);
	if (s != NULL)
		CHECK_STR(s->hostname, "a\\u0000");
	spec_free(s);
}

TEST(relative_mount_destination_is_taken_from_root)
{
	struct zrun_error e;
	struct spec *s = parse_q(HEAD "'mounts':[{'destination':'/proc'},"
				 "{'destination':'tmp/x','type':'tmpfs'}]}", &e);

	CHECK(s != NULL);
	if (s == NULL) {
		printf("#   %s\n", e.msg);
		return;
	}
	CHECK_INT(s->mounts_len, 2);
	CHECK_STR(s->mounts[1].destination, "/tmp/x");
	spec_free(s);
	CHECK_REJECTS(HEAD "'mounts':[{'destination':'/proc'},{'destination':'/dev'},"
		      "{'destination':'','type':'tmpfs'}]}",
		      "config.json: mounts[2].destination: must not be empty");
}

TEST(rejects_mount_without_destination)
{
	CHECK_REJECTS(HEAD "'mounts':[{'type':'tmpfs'}]}",
		      "config.json: mounts[0].destination: is required");
	CHECK_REJECTS(HEAD "'mounts':['tmpfs']}", "config.json: mounts[0]: must be an object");
	CHECK_REJECTS(HEAD "'mounts':[{'destination':'/x','options':['ro',5]}]}",
		      "config.json: mounts[0].options[1]: must be a string");
}

TEST(rejects_missing_or_mistyped_oci_version)
{
	CHECK_REJECTS("{'root':{'path':'rootfs'}}", "config.json: ociVersion: is required");
	CHECK_REJECTS("{'ociVersion':1,'root':{'path':'rootfs'}}",
		      "config.json: ociVersion: must be a string");
}

TEST(rejects_missing_root_path)
{
	CHECK_REJECTS("{'ociVersion':'1.2.0'}", "config.json: root: is required");
	CHECK_REJECTS("{'ociVersion':'1.2.0','root':{'readonly':true}}",
		      "config.json: root.path: is required");
	CHECK_REJECTS("{'ociVersion':'1.2.0','root':{'path':'rootfs','readonly':'yes'}}",
		      "config.json: root.readonly: must be a boolean");
}

TEST(rejects_relative_or_missing_cwd)
{
	CHECK_REJECTS(HEAD "'process':{'args':['sh'],'cwd':'srv'}}",
		      "config.json: process.cwd: must be an absolute path");
	CHECK_REJECTS(HEAD "'process':{'args':['sh']}}", "config.json: process.cwd: is required");
}

TEST(parses_io_priority_scheduler_and_mount_id_mappings)
{
	struct zrun_error err;
	struct spec *s = parse_q(HEAD "'process':{'args':['sh'],'cwd':'/',"
		"'ioPriority':{'class':'IOPRIO_CLASS_BE','priority':4},"
		"'scheduler':{'policy':'SCHED_DEADLINE','runtime':1000,'deadline':2000,'period':3000,"
		"'flags':['SCHED_FLAG_RESET_ON_FORK','SCHED_FLAG_RECLAIM']}},"
		"'mounts':[{'destination':'/m','source':'/s','type':'bind','options':['idmap'],"
		"'uidMappings':[{'containerID':0,'hostID':100000,'size':65536}],"
		"'gidMappings':[{'containerID':0,'hostID':200000,'size':10}]}],"
		"'linux':{'personality':{'domain':'LINUX32','flags':[]}}}", &err);

	CHECK(s != NULL);
	if (s == NULL) {
		printf("#   %s\n", err.msg);
		return;
	}
	CHECK(s->process->has_io_priority);
	CHECK_INT(s->process->io_priority_class, 2);
	CHECK_INT(s->process->io_priority, 4);
	CHECK(s->process->scheduler != NULL);
	if (s->process->scheduler != NULL) { /* a failed check, not a crash */
		CHECK_INT(s->process->scheduler->policy, 6);
		CHECK_INT(s->process->scheduler->runtime_ns, 1000);
		CHECK_INT(s->process->scheduler->period_ns, 3000);
		CHECK_INT(s->process->scheduler->flags, 3);
	}
	CHECK_INT(s->mounts[0].uid_mappings_len, 1);
	CHECK_INT(s->mounts[0].uid_mappings[0].host_id, 100000);
	CHECK_INT(s->mounts[0].gid_mappings[0].size, 10);
	CHECK_STR(s->linux_->personality_domain, "LINUX32");
	spec_free(s);
}

TEST(rejects_bad_io_priority_scheduler_personality_and_half_id_mappings)
{
	CHECK_REJECTS(HEAD "'process':{'args':['sh'],'cwd':'/','ioPriority':{'class':'IOPRIO_CLASS_BE','priority':8}}}",
		      "config.json: process.ioPriority.priority: must be an integer between 0 and 7");
	CHECK_REJECTS(HEAD "'process':{'args':['sh'],'cwd':'/','scheduler':{'policy':'SCHED_FAST'}}}",
		      "config.json: process.scheduler.policy: unknown policy \"SCHED_FAST\"");
	CHECK_REJECTS(HEAD "'process':{'args':['sh'],'cwd':'/','scheduler':{'policy':'SCHED_OTHER','flags':['X']}}}",
		      "config.json: process.scheduler.flags[0]: unknown flag \"X\"");
	CHECK_REJECTS(HEAD "'linux':{'personality':{'domain':'LINUX','flags':['X']}}}",
		      "config.json: linux.personality.flags: no personality flags are supported");
	CHECK_REJECTS(HEAD "'mounts':[{'destination':'/m','uidMappings':[{'containerID':0,'hostID':1,'size':1}]}]}",
		      "config.json: mounts[0].gidMappings: is required with uidMappings");
}

TEST(rejects_top_level_that_is_not_an_object)
{
	CHECK_REJECTS("['ociVersion']", "config.json: must be a JSON object");
}

TEST(rejects_unknown_namespace_type)
{
	CHECK_REJECTS(HEAD "'linux':{'namespaces':[{'type':'pid'},{'type':'net'}]}}",
		      "config.json: linux.namespaces[1].type: unknown namespace \"net\"");
}

TEST(rejects_duplicate_namespace)
{
	CHECK_REJECTS(HEAD "'linux':{'namespaces':[{'type':'pid'},{'type':'uts'},{'type':'pid',"
		      "'path':'/proc/1/ns/pid'}]}}",
		      "config.json: linux.namespaces[2].type: duplicate namespace \"pid\"");
}

TEST(rejects_relative_namespace_path)
{
	CHECK_REJECTS(HEAD "'linux':{'namespaces':[{'type':'network','path':'netns/a'}]}}",
		      "config.json: linux.namespaces[0].path: must be an absolute path");
}

TEST(rejects_zero_size_id_mapping)
{
	CHECK_REJECTS(HEAD "'linux':{'gidMappings':[{'containerID':0,'hostID':1000,'size':0}]}}",
		      "config.json: linux.gidMappings[0].size: must not be zero");
	CHECK_REJECTS(HEAD "'linux':{'uidMappings':[{'containerID':0,'hostID':4294967296,"
		      "'size':1}]}}",
		      "config.json: linux.uidMappings[0].hostID: must be an integer between 0 and "
		      "4294967295");
}

TEST(rejects_unknown_device_type)
{
	CHECK_REJECTS(HEAD "'linux':{'devices':[{'path':'/dev/x','type':'x','major':1,'minor':1}]}}",
		      "config.json: linux.devices[0].type: must be one of \"c\", \"b\", \"u\", \"p\"");
	CHECK_REJECTS(HEAD "'linux':{'devices':[{'path':'/dev/x','type':'c','minor':1}]}}",
		      "config.json: linux.devices[0].major: is required for device type 'c'");
	CHECK_REJECTS(HEAD "'linux':{'devices':[{'path':'dev/x','type':'p'}]}}",
		      "config.json: linux.devices[0].path: must be an absolute path");
}

TEST(rejects_bad_cgroup_device_rule)
{
	CHECK_REJECTS(HEAD "'linux':{'resources':{'devices':[{'allow':true,'access':'rwx'}]}}}",
		      "config.json: linux.resources.devices[0].access: must be a non-empty "
		      "combination of r, w, m");
	CHECK_REJECTS(HEAD "'linux':{'resources':{'devices':[{'access':'r'}]}}}",
		      "config.json: linux.resources.devices[0].allow: is required");
}

TEST(rejects_relative_hook_path_and_zero_timeout)
{
	CHECK_REJECTS(HEAD "'hooks':{'poststart':[{'path':'/a'},{'path':'hook'}]}}",
		      "config.json: hooks.poststart[1].path: must be an absolute path");
	CHECK_REJECTS(HEAD "'hooks':{'createRuntime':[{'path':'/a','timeout':0}]}}",
		      "config.json: hooks.createRuntime[0].timeout: must be an integer between 1 "
		      "and 2147483647");
}

TEST(rejects_non_string_annotation_naming_its_key)
{
	CHECK_REJECTS(HEAD "'annotations':{'a':'b','zrun.swap/grace':30}}",
		      "config.json: annotations.zrun.swap/grace: must be a string");
}

TEST(rejects_seccomp_rule_without_names)
{
	CHECK_REJECTS(HEAD "'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':"
		      "[{'names':[],'action':'SCMP_ACT_ERRNO'}]}}}",
		      "config.json: linux.seccomp.syscalls[0].names: must be a non-empty array of "
		      "strings");
	CHECK_REJECTS(HEAD "'linux':{'seccomp':{'syscalls':[]}}}",
		      "config.json: linux.seccomp.defaultAction: is required");
	CHECK_REJECTS(HEAD "'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':"
		      "[{'names':['x'],'action':'SCMP_ACT_ERRNO','args':[{'index':6,'value':1,"
		      "'op':'SCMP_CMP_EQ'}]}]}}}",
		      "config.json: linux.seccomp.syscalls[0].args[0].index: must be an integer "
		      "between 0 and 5");
}

TEST(rejects_relative_masked_or_readonly_path)
{
	CHECK_REJECTS(HEAD "'linux':{'maskedPaths':['/proc/kcore','proc/keys']}}",
		      "config.json: linux.maskedPaths[1]: must be an absolute path");
	CHECK_REJECTS(HEAD "'linux':{'readonlyPaths':['proc/sys']}}",
		      "config.json: linux.readonlyPaths[0]: must be an absolute path");
}

TEST(rejects_listener_metadata_without_listener_path)
{
	CHECK_REJECTS(HEAD "'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW',"
		      "'listenerMetadata':'x'}}}",
		      "config.json: linux.seccomp.listenerMetadata: must not be set without listenerPath");
}

TEST(rejects_time_offset_nanosecs_of_a_second_or_more)
{
	CHECK_REJECTS(HEAD "'linux':{'timeOffsets':{'monotonic':{'secs':1,'nanosecs':1000000000}}}}",
		      "config.json: linux.timeOffsets.monotonic.nanosecs: must be an integer "
		      "between 0 and 999999999");
}

TEST(reports_invalid_json_on_one_line)
{
	struct zrun_error err;
	struct spec *s = parse_q("{'ociVersion': '1.2.0',\n 'root': {'path': }}", &err);

	CHECK(s == NULL);
	spec_free(s);
	CHECK_CONTAINS(err.msg, "config.json: invalid JSON: ");
	CHECK_CONTAINS(err.msg, "parse error");
	CHECK(strchr(err.msg, '\n') == NULL);
	s = parse_q("", &err);
	CHECK(s == NULL);
	CHECK_CONTAINS(err.msg, "config.json: invalid JSON: ");
	spec_free(s);
}

TEST(refuses_input_over_size_cap_before_parsing)
{
	size_t len = SPEC_MAX_BYTES + 1;
	struct zrun_error err;
	char *big = malloc(len);
	struct spec *s;

	if (big == NULL)
		return;
	memset(big, ' ', len);
	big[0] = '{';
	big[len - 1] = '}';
	s = spec_parse(big, len, "config.json", &err);
	CHECK(s == NULL);
	CHECK_STR(err.msg, "config.json: too large (4194305 bytes, limit 4194304)");
	spec_free(s);
	free(big);
}

TEST(refuses_nesting_over_depth_cap_before_parsing)
{
	char doc[256];
	struct zrun_error err;
	struct spec *s;
	int i;

	for (i = 0; i < 100; i++) {
		doc[i] = '[';
		doc[100 + i] = ']';
	}
	s = spec_parse(doc, 200, "config.json", &err);
	CHECK(s == NULL);
	CHECK_STR(err.msg, "config.json: invalid JSON: nesting deeper than 64 levels");
	spec_free(s);
}

TEST(nesting_count_skips_brackets_inside_strings)
{
	struct zrun_error err;
	char brackets[200], doc[400];
	struct spec *s;

	memset(brackets, '[', 150);
	brackets[150] = '\0';
	/* An escaped quote must not end the string early. */
	snprintf(doc, sizeof(doc), HEAD PROC ",'hostname':'\\'%s\\'{{'}", brackets);
	s = parse_q(doc, &err);
	CHECK_STR(s == NULL ? err.msg : "", "");
	if (s != NULL)
		CHECK_INT(strlen(s->hostname), 154);
	spec_free(s);
	CHECK(json_check_limits("[[[]]]", 6, 100, 3, "x", &err) == 0);
	CHECK(json_check_limits("[[[[]]]]", 8, 100, 3, "x", &err) < 0);
}

TEST(refuses_comments_that_could_hide_nesting)
{
	/* yajl's tree API accepts comments; a quote inside one would blind the
	 * nesting count, so comments are refused before yajl runs. */
	CHECK_REJECTS("{'a':[ // '\n [[[ ]]] // '\n ]}",
		      "config.json: invalid JSON: comments are not allowed (offset 7)");
}

TEST(refuses_nul_byte_that_would_truncate_the_document)
{
	const char doc[] = "{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"}}\0{\"x\":1}";
	struct zrun_error err;
	struct spec *s = spec_parse(doc, sizeof(doc) - 1, "config.json", &err);

	CHECK(s == NULL);
	CHECK_STR(err.msg, "config.json: invalid JSON: NUL byte at offset 38");
	spec_free(s);
}

TEST(default_spec_parses_with_runc_defaults)
{
	const char *head = "{\n\t\"ociVersion\": \"1.2.0\",\n\t\"process\": {\n\t\t\"terminal\": true,\n";
	struct zrun_error err;
	char *doc = spec_default_json(false);
	struct spec *s;

	CHECK(doc != NULL);
	if (doc == NULL)
		return;
	CHECK(strncmp(doc, head, strlen(head)) == 0);
	CHECK(doc[strlen(doc) - 1] == '}');
	s = spec_parse(doc, strlen(doc), "default", &err);
	CHECK_STR(s == NULL ? err.msg : "", "");
	if (s != NULL) {
		CHECK_STR(s->process->args[0], "sh");
		CHECK_STR(s->process->env[1], "TERM=xterm");
		CHECK_STR(s->process->capabilities->permitted[2], "CAP_NET_BIND_SERVICE");
		CHECK_INT(s->process->rlimits[0].soft, 1024);
		CHECK(s->process->no_new_privileges);
		CHECK_STR(s->hostname, "zrun");
		CHECK(s->root.readonly);
		CHECK_INT(s->mounts_len, 7);
		CHECK_STR(s->mounts[2].options[5], "gid=5");
		CHECK(s->mounts[0].options[0] == NULL);
		CHECK(spec_namespace_find(s, SPEC_NS_NETWORK) != NULL);
		CHECK(spec_namespace_find(s, SPEC_NS_CGROUP) != NULL);
		CHECK(spec_namespace_find(s, SPEC_NS_USER) == NULL);
		CHECK_INT(s->linux_->resources->devices_len, 1);
		CHECK_STR(s->linux_->masked_paths[0], "/proc/acpi");
		CHECK_STR(s->linux_->readonly_paths[4], "/proc/sysrq-trigger");
	}
	spec_free(s);
	free(doc);
}

TEST(default_rootless_spec_maps_current_user_without_netns)
{
	struct zrun_error err;
	char *doc = spec_default_json(true);
	struct spec *s;

	if (doc == NULL) {
		CHECK(doc != NULL);
		return;
	}
	s = spec_parse(doc, strlen(doc), "default", &err);
	CHECK_STR(s == NULL ? err.msg : "", "");
	if (s != NULL) {
		CHECK(spec_namespace_find(s, SPEC_NS_USER) != NULL);
		CHECK(spec_namespace_find(s, SPEC_NS_NETWORK) == NULL);
		CHECK_INT(s->linux_->uid_mappings[0].host_id, geteuid());
		CHECK_INT(s->linux_->gid_mappings[0].host_id, getegid());
		CHECK_INT(s->linux_->uid_mappings[0].size, 1);
		CHECK(s->linux_->resources == NULL);
		CHECK_STR(s->mounts[5].type, "none");
		CHECK_STR(s->mounts[5].options[0], "rbind");
		CHECK_STR(s->mounts[2].options[4], "mode=0620");
		CHECK(s->mounts[2].options[5] == NULL);
	}
	spec_free(s);
	free(doc);
}

TEST(parses_standalone_process_with_bare_paths)
{
	const char *ok = "{\"args\":[\"ls\",\"-l\"],\"cwd\":\"/tmp\",\"env\":[\"A=1\"],"
			 "\"user\":{\"uid\":5}}";
	const char *bad = "{\"args\":[],\"cwd\":\"/\"}";
	struct zrun_error err;
	struct spec_process *p;

	p = spec_parse_process(ok, strlen(ok), "process.json", &err);
	CHECK_STR(p == NULL ? err.msg : "", "");
	if (p != NULL) {
		CHECK_STR(p->args[1], "-l");
		CHECK_INT(p->user.uid, 5);
		CHECK(p->capabilities == NULL);
	}
	spec_process_free(p);
	p = spec_parse_process(bad, strlen(bad), "process.json", &err);
	CHECK(p == NULL);
	CHECK_STR(err.msg, "process.json: args: must be a non-empty array of strings");
	spec_process_free(p);
	p = spec_parse_process("[1", 2, "process.json", &err);
	CHECK(p == NULL);
	CHECK_CONTAINS(err.msg, "process.json: invalid JSON: ");
}

static char *make_bundle(void)
{
	char tmpl[] = "/tmp/zrun-test-spec.XXXXXX";
	char *dir = mkdtemp(tmpl);

	return dir != NULL ? strdup(dir) : NULL;
}

static void write_file(const char *dir, const char *name, const char *data, size_t len)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, data, len) == (ssize_t)len);
	close(fd);
}

static void remove_bundle(char *dir)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/config.json", dir);
	unlink(path);
	CHECK(rmdir(dir) == 0);
	free(dir);
}

TEST(load_bundle_names_missing_config_path)
{
	struct zrun_error err;
	char *dir = make_bundle(), want[600];
	struct spec *s;

	if (dir == NULL) {
		CHECK(dir != NULL);
		return;
	}
	s = spec_load_bundle(dir, &err);
	CHECK(s == NULL);
	CHECK_INT(err.errno_value, ENOENT);
	snprintf(want, sizeof(want), "%s/config.json: %s", dir, strerror(ENOENT));
	CHECK_STR(err.msg, want);
	remove_bundle(dir);
}

TEST(load_bundle_reads_config_and_names_it_in_errors)
{
	const char *good = "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"}}";
	const char *bad = "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
			  "\"mounts\":[{\"destination\":\"\"}]}";
	struct zrun_error err;
	char *dir = make_bundle(), want[600];
	struct spec *s;

	if (dir == NULL) {
		CHECK(dir != NULL);
		return;
	}
	write_file(dir, "config.json", good, strlen(good));
	s = spec_load_bundle(dir, &err);
	CHECK_STR(s == NULL ? err.msg : "", "");
	if (s != NULL)
		CHECK_STR(s->root.path, "rootfs");
	spec_free(s);
	write_file(dir, "config.json", bad, strlen(bad));
	s = spec_load_bundle(dir, &err);
	CHECK(s == NULL);
	snprintf(want, sizeof(want), "%s/config.json: mounts[0].destination: must not be empty", dir);
	CHECK_STR(err.msg, want);
	remove_bundle(dir);
}

TEST(load_bundle_refuses_config_over_size_cap)
{
	size_t len = SPEC_MAX_BYTES + 10;
	struct zrun_error err;
	char *dir = make_bundle(), *big = malloc(len), want[600];
	struct spec *s;

	if (dir == NULL || big == NULL) {
		free(dir);
		free(big);
		CHECK(0);
		return;
	}
	memset(big, ' ', len);
	write_file(dir, "config.json", big, len);
	free(big);
	s = spec_load_bundle(dir, &err);
	CHECK(s == NULL);
	snprintf(want, sizeof(want), "%s/config.json: too large (more than %d bytes)", dir,
		 SPEC_MAX_BYTES);
	CHECK_STR(err.msg, want);
	remove_bundle(dir);
}

TEST(read_file_refuses_non_regular_file)
{
	struct zrun_error err;
	size_t len;
	char *buf;

	CHECK(json_read_file("/tmp", 100, &buf, &len, &err) < 0);
	CHECK_STR(err.msg, "/tmp: not a regular file");
}

TEST(namespace_helpers_name_and_flag_every_type)
{
	CHECK_STR(spec_ns_type_name(SPEC_NS_PID), "pid");
	CHECK_STR(spec_ns_type_name(SPEC_NS_NETWORK), "network");
	CHECK_STR(spec_ns_type_name(SPEC_NS_MOUNT), "mount");
	CHECK_STR(spec_ns_type_name(SPEC_NS_IPC), "ipc");
	CHECK_STR(spec_ns_type_name(SPEC_NS_UTS), "uts");
	CHECK_STR(spec_ns_type_name(SPEC_NS_USER), "user");
	CHECK_STR(spec_ns_type_name(SPEC_NS_CGROUP), "cgroup");
	CHECK_STR(spec_ns_type_name(SPEC_NS_TIME), "time");
	CHECK(spec_ns_type_name(SPEC_NS_COUNT) == NULL);
	CHECK_INT(spec_ns_clone_flag(SPEC_NS_PID), CLONE_NEWPID);
	CHECK_INT(spec_ns_clone_flag(SPEC_NS_NETWORK), CLONE_NEWNET);
	CHECK_INT(spec_ns_clone_flag(SPEC_NS_MOUNT), CLONE_NEWNS);
	CHECK_INT(spec_ns_clone_flag(SPEC_NS_USER), CLONE_NEWUSER);
	CHECK_INT(spec_ns_clone_flag(SPEC_NS_CGROUP), CLONE_NEWCGROUP);
	CHECK_INT(spec_ns_clone_flag(SPEC_NS_TIME), 0x80);
}

TEST(json_writer_escapes_and_indents_with_tabs)
{
	struct json_writer w;
	char *doc;

	json_w_init(&w, true);
	json_w_object_begin(&w);
	json_w_key(&w, "a\"b");
	json_w_string(&w, "line\n\x01\\");
	json_w_key(&w, "empty");
	json_w_array_begin(&w);
	json_w_array_end(&w);
	json_w_key(&w, "n");
	json_w_int(&w, -3);
	json_w_object_end(&w);
	doc = json_w_finish(&w);
	CHECK_STR(doc, "{\n\t\"a\\\"b\": \"line\\n\\u0001\\\\\",\n\t\"empty\": [],\n\t\"n\": -3\n}");
	free(doc);
	json_w_init(&w, false);
	json_w_array_begin(&w);
	json_w_uint(&w, UINT64_MAX);
	json_w_bool(&w, false);
	json_w_array_end(&w);
	doc = json_w_finish(&w);
	CHECK_STR(doc, "[18446744073709551615,false]");
	free(doc);
}

/* Every byte from 0x01 to 0x7f written as a JSON string reads back, through
 * the same bounded parser zrun reads its own files with, as the same text:
 * quote, backslash and each control character are escaped, nothing else
 * is touched. */
TEST(json_writer_string_round_trips_every_ascii_byte)
{
	char all[128], *doc;
	struct json_writer w;
	struct zrun_error err;

	for (int i = 1; i < 128; i++)
		all[i - 1] = (char)i;
	all[127] = '\0';
	json_w_init(&w, false);
	json_w_array_begin(&w);
	json_w_string(&w, all);
	json_w_array_end(&w);
	doc = json_w_finish(&w);
	CHECK(doc != NULL);
	if (doc == NULL)
		return;
	for (const char *p = doc; *p; p++)
		CHECK((unsigned char)*p >= 0x20);
	yajl_val v = json_parse(doc, strlen(doc), 4096, 4, "test", &err);
	CHECK(v != NULL && YAJL_IS_ARRAY(v) && v->u.array.len == 1 && YAJL_IS_STRING(v->u.array.values[0]));
	if (v && YAJL_IS_ARRAY(v) && v->u.array.len == 1)
		CHECK_STR(YAJL_GET_STRING(v->u.array.values[0]), all);
	yajl_tree_free(v);
	CHECK(strstr(doc, "\\\"") != NULL && strstr(doc, "\\\\") != NULL);
	CHECK(strstr(doc, "\\u001f") != NULL && strstr(doc, "\\t") != NULL);
	free(doc);
}

/* `zrun state` is indented as runc's MarshalIndent(.., "", "  "): empty
 * objects stay {}; a raw value (a number's text, a kept document) and
 * null are written as they are. */
TEST(json_writer_indents_with_two_spaces_and_writes_raw_values)
{
	struct json_writer w;
	char *doc;

	json_w_init_indent(&w, "  ");
	json_w_object_begin(&w);
	json_w_key(&w, "annotations");
	json_w_object_begin(&w);
	json_w_object_end(&w);
	json_w_key(&w, "m");
	json_w_object_begin(&w);
	json_w_key(&w, "k");
	json_w_null(&w);
	json_w_object_end(&w);
	json_w_object_end(&w);
	doc = json_w_finish(&w);
	CHECK_STR(doc, "{\n  \"annotations\": {},\n  \"m\": {\n    \"k\": null\n  }\n}");
	free(doc);
	json_w_init(&w, false);
	json_w_object_begin(&w);
	json_w_key(&w, "n");
	json_w_raw(&w, "1.5e3");
	json_w_key(&w, "zrun");
	json_w_raw(&w, "{\"a\":[1]}");
	json_w_object_end(&w);
	doc = json_w_finish(&w);
	CHECK_STR(doc, "{\"n\":1.5e3,\"zrun\":{\"a\":[1]}}");
	free(doc);
}

int main(void)
{
	RUN(parses_full_config_into_every_section);
	RUN(parses_full_linux_section);
	RUN(accepts_minimal_config_without_process_or_linux);
	RUN(ignores_unknown_fields_and_null_members);
	RUN(last_duplicate_key_wins_as_in_go);
	RUN(parses_uint64_max_rlimit);
	RUN(parses_int64_extremes_exactly);
	RUN(rejects_rlimit_above_uint64_max);
	RUN(rejects_negative_rlimit);
	RUN(rejects_unknown_rlimit_type);
	RUN(rejects_duplicate_rlimit_type);
	RUN(rejects_empty_args_with_json_path);
	RUN(rejects_missing_or_non_string_args_with_json_path);
	RUN(rejects_fractional_memory_limit_with_json_path);
	RUN(rejects_ids_that_are_not_real_ids_with_json_path);
	RUN(rejects_a_nul_escape_in_any_string_with_json_path);
	RUN(relative_mount_destination_is_taken_from_root);
	RUN(rejects_mount_without_destination);
	RUN(rejects_missing_or_mistyped_oci_version);
	RUN(rejects_missing_root_path);
	RUN(rejects_relative_or_missing_cwd);
	RUN(rejects_top_level_that_is_not_an_object);
	RUN(parses_io_priority_scheduler_and_mount_id_mappings);
	RUN(rejects_bad_io_priority_scheduler_personality_and_half_id_mappings);
	RUN(rejects_unknown_namespace_type);
	RUN(rejects_duplicate_namespace);
	RUN(rejects_relative_namespace_path);
	RUN(rejects_zero_size_id_mapping);
	RUN(rejects_unknown_device_type);
	RUN(rejects_bad_cgroup_device_rule);
	RUN(rejects_relative_hook_path_and_zero_timeout);
	RUN(rejects_non_string_annotation_naming_its_key);
	RUN(rejects_seccomp_rule_without_names);
	RUN(rejects_relative_masked_or_readonly_path);
	RUN(rejects_listener_metadata_without_listener_path);
	RUN(rejects_time_offset_nanosecs_of_a_second_or_more);
	RUN(reports_invalid_json_on_one_line);
	RUN(refuses_input_over_size_cap_before_parsing);
	RUN(refuses_nesting_over_depth_cap_before_parsing);
	RUN(nesting_count_skips_brackets_inside_strings);
	RUN(refuses_comments_that_could_hide_nesting);
	RUN(refuses_nul_byte_that_would_truncate_the_document);
	RUN(default_spec_parses_with_runc_defaults);
	RUN(default_rootless_spec_maps_current_user_without_netns);
	RUN(parses_standalone_process_with_bare_paths);
	RUN(load_bundle_names_missing_config_path);
	RUN(load_bundle_reads_config_and_names_it_in_errors);
	RUN(load_bundle_refuses_config_over_size_cap);
	RUN(read_file_refuses_non_regular_file);
	RUN(namespace_helpers_name_and_flag_every_type);
	RUN(json_writer_escapes_and_indents_with_tabs);
	RUN(json_writer_string_round_trips_every_ascii_byte);
	RUN(json_writer_indents_with_two_spaces_and_writes_raw_values);
	UNIT_DONE();
}
