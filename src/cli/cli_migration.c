/* The operators' tools watching a topic-layout migration: seed 04's voice template on both
 * layouts, counted by libmqplane's mqp_migration (see cli.h). */
#include "cli.h"
#include "cli_opts.h"

#include <stdio.h>

bool cli_migration_opt(const char *cmd, int c, const char *arg, cli_migration_opts *o, bool *bad)
{
    if (c != CLI_OPT_MIGRATION_NOTICE && c != CLI_OPT_MIGRATION_QUIET) {
        return false;
    }
    bool notice = c == CLI_OPT_MIGRATION_NOTICE;
    *bad = !cli_int_arg_int(cmd, notice ? "--migration-notice" : "--migration-quiet", arg, 1,
                            7 * 24 * 3600, notice ? &o->notice_s : &o->quiet_s);
    return true;
}

bool cli_migration_open(cli_session *ss, const char *cmd, const cli_migration_opts *o,
                        mqp_handler_cb cb, void *user, mqp_topics *t, mqp_migration **out)
{
    *out = NULL;
    if (mqp_topics_init(t, NULL, NULL) != MQP_OK) {
        fprintf(stderr,
                "mqplane %s: MQTT_TOPIC_VERSION, MQTT_BASE_PREFIX or MQTT_TOPIC_PREVIOUS_VERSION "
                "is not a valid topic level\n",
                cmd);
        return false;
    }
    if (!t->migrating) {
        return true;
    }
    mqp_migration_opts mo = {.notice_interval_s = o->notice_s, .quiet_s = o->quiet_s};
    char err[MQP_TOPICS_ERRLEN] = "";
    static const mqp_topic_var every[] = {
        {"room_id", "+", 0}, {"session_id", "+", 0}, {"topic_type", "#", 0}};
    if (mqp_migration_new(out, ss->client, t, &mo) != MQP_OK ||
        mqp_migration_subscribe(*out, "voice", MQP_TEMPLATE_VOICE, every, 3, 1, cb, user, err,
                                sizeof err) != MQP_OK) {
        fprintf(stderr, "mqplane %s: cannot watch the migration: %s\n", cmd,
                err[0] ? err : "out of memory");
        mqp_migration_free(*out);
        *out = NULL;
        return false;
    }
    return true;
}
