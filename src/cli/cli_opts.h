/* Option values of every subcommand, parsed strictly: a bad one is said once, in one form —
 * "mqplane run: --seed: expected an integer, got '1.5'" — and the caller exits EXIT_USAGE. */
#ifndef CLI_OPTS_H
#define CLI_OPTS_H

#include <stdbool.h>

/* An integer in lo..hi; prints the message and returns false otherwise. */
bool cli_int_arg(const char *cmd, const char *opt, const char *arg, long long lo, long long hi,
                 long long *out);
/* As cli_int_arg, for an int-sized value. */
bool cli_int_arg_int(const char *cmd, const char *opt, const char *arg, int lo, int hi, int *out);
/* A decimal number (seconds, rates) in lo..hi. */
bool cli_number_arg(const char *cmd, const char *opt, const char *arg, double lo, double hi,
                    double *out);

#endif
