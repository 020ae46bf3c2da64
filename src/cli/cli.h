/* The mqplane command line: one executable, one file per subcommand (like curl's tool_*). */
#ifndef CLI_H
#define CLI_H

#include "mqplane/mqplane.h"

/* Exit statuses, documented in mqplane --help and docs/OPERATIONS.md. */
enum {
    EXIT_OK = 0,
    EXIT_FAILED = 1,    /* The command ran and failed (a command answered ok: false). */
    EXIT_NO_BROKER = 2, /* Could not connect, or no answer in time. */
    EXIT_USAGE = 64     /* Bad arguments or configuration. */
};

int cli_run(int argc, char **argv);
int cli_ctl(int argc, char **argv);
int cli_monitor(int argc, char **argv);

/* Prints library and CLI log lines to stderr with a time and a level. */
void cli_log(mqp_log_level level, const char *msg, void *user);
/* The -v/--log-level value; exits with EXIT_USAGE on a bad name. */
mqp_log_level cli_log_level(const char *name);

#endif
