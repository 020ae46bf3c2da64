/* The fuzz targets' shared part: each defines LLVMFuzzerTestOneInput. Built with clang's
 * -fsanitize=fuzzer they are libFuzzer targets (MQP_FUZZ=ON, `make fuzz`); otherwise
 * driver.c runs them over their committed corpus, every file of which is a regression test. */
#ifndef MQP_FUZZ_H
#define MQP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (parsers of C strings stop at the first NUL). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

/* Splits s at its first newline into two strings; the second is "" without one. */
static inline char *fuzz_split(char *s)
{
    char *nl = strchr(s, '\n');
    if (!nl) {
        return s + strlen(s);
    }
    *nl = '\0';
    return nl + 1;
}

/* A property the code promises; a broken one aborts, and the fuzzer reports the input. */
#define FUZZ_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
