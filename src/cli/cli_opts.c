#include "cli_opts.h"

#include "number.h"

#include <stdio.h>

bool cli_int_arg(const char *cmd, const char *opt, const char *arg, long long lo, long long hi,
                 long long *out)
{
    mqpx_num rc = mqpx_parse_int(arg, lo, hi, out);
    if (rc == MQPX_NUM_OK) {
        return true;
    }
    char expected[96] = "an integer";
    if (rc == MQPX_NUM_RANGE) {
        mqpx_num_expected_int(expected, sizeof expected, lo, hi);
    }
    fprintf(stderr, "mqplane %s: %s: expected %s, got '%s'\n", cmd, opt, expected, arg);
    return false;
}

bool cli_int_arg_int(const char *cmd, const char *opt, const char *arg, int lo, int hi, int *out)
{
    long long v;
    if (!cli_int_arg(cmd, opt, arg, lo, hi, &v)) {
        return false;
    }
    *out = (int)v;
    return true;
}

bool cli_number_arg(const char *cmd, const char *opt, const char *arg, double lo, double hi,
                    double *out)
{
    mqpx_num rc = mqpx_parse_double(arg, lo, hi, out);
    if (rc == MQPX_NUM_OK) {
        return true;
    }
    char expected[96] = "a number";
    if (rc == MQPX_NUM_RANGE) {
        mqpx_num_expected_double(expected, sizeof expected, lo, hi);
    }
    fprintf(stderr, "mqplane %s: %s: expected %s, got '%s'\n", cmd, opt, expected, arg);
    return false;
}
